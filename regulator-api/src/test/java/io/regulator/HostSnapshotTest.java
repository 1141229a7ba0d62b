package io.regulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostSnapshotTest {

  @Test
  void table_alignsColumnsAndListsTheBiggestHolderFirst() {
    List<HostSnapshot> hosts = List.of(
        new HostSnapshot(HostKey.of("[2001:db8::1]", 8080), 120, 118, 4321,
            Map.of("a", 8, "b", 100, "c", 10)),
        new HostSnapshot(HostKey.of("x.io", 80), 5, 0, 0, Map.of()));
    assertEquals(""
        + "HOST                LIMIT  IN USE  WAITING  IN USE BY POOL\n"
        + "[2001:db8::1]:8080    120     118     4321  b=100, c=10, a=8\n"
        + "x.io:80                 5       0        0\n",
        HostSnapshot.table(hosts));
  }

  @Test
  void table_breaksTiesByPoolName() {
    HostSnapshot host = new HostSnapshot(HostKey.of("x.io", 443), 4, 4, 0,
        Map.of("zeta", 2, "alpha", 2));
    assertEquals("x.io:443      4       4        0  alpha=2, zeta=2\n",
        HostSnapshot.table(List.of(host)).lines().skip(1).findFirst().orElseThrow() + "\n");
  }

  @Test
  void tableOfNoHosts_isTheHeaderAlone() {
    assertEquals("HOST  LIMIT  IN USE  WAITING  IN USE BY POOL\n", HostSnapshot.table(List.of()));
  }

  @Test
  void snapshot_copiesItsMap() {
    Map<String, Integer> byPool = new HashMap<>(Map.of("a", 1));
    HostSnapshot host = new HostSnapshot(HostKey.of("x.io", 443), 1, 1, 0, byPool);
    byPool.put("b", 2);
    assertEquals(Map.of("a", 1), host.inUseByPool());
    assertThrows(UnsupportedOperationException.class, () -> host.inUseByPool().put("c", 3));
  }
}
