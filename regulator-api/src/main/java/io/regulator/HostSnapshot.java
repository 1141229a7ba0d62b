package io.regulator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One host's counts at one instant.
 *
 * @param key the host
 * @param limit the host's limit
 * @param inUse slots held across all pools
 * @param waiting callers queued across all pools
 * @param inUseByPool slots held by each open pool that holds any
 */
public record HostSnapshot(
    HostKey key, int limit, int inUse, int waiting, Map<String, Integer> inUseByPool) {

  private static final String[] HEADER = {"HOST", "LIMIT", "IN USE", "WAITING", "IN USE BY POOL"};

  /** Validates the figures and copies the map; immutable and thread-safe. */
  public HostSnapshot {
    Objects.requireNonNull(key, "key");
    inUseByPool = Map.copyOf(inUseByPool);
  }

  /**
   * Prints snapshots as a table, one host a line, each line ending in {@code '\n'}; the pools of
   * a host are listed from the biggest holder down, so the pool hogging a host comes first:
   *
   * <pre>
   * HOST             LIMIT  IN USE  WAITING  IN USE BY POOL
   * example.com:443      4       4        7  billing=3, search=1
   * other.org:80        50       0        0
   * </pre>
   *
   * @param hosts snapshots, as {@link HostRegulator#snapshot()} returns them; printed in this order
   */
  public static String table(List<HostSnapshot> hosts) {
    List<String[]> rows = new ArrayList<>(hosts.size() + 1);
    rows.add(HEADER);
    for (HostSnapshot host : hosts) {
      rows.add(new String[] {
          host.key().toString(),
          Integer.toString(host.limit()),
          Integer.toString(host.inUse()),
          Integer.toString(host.waiting()),
          host.holders()});
    }
    int[] widths = new int[HEADER.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      line.append(row[0]).append(" ".repeat(widths[0] - row[0].length()));
      for (int i = 1; i < 4; i++) {
        // Numbers right-aligned under their header.
        line.append("  ").append(" ".repeat(widths[i] - row[i].length())).append(row[i]);
      }
      line.append("  ").append(row[4]);
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  /** The holders as {@code billing=3, search=1}: biggest holder first, then by name. */
  private String holders() {
    List<Map.Entry<String, Integer>> entries = new ArrayList<>(inUseByPool.entrySet());
    entries.sort(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
        .thenComparing(Map.Entry.comparingByKey()));
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, Integer> entry : entries) {
      if (out.length() > 0) {
        out.append(", ");
      }
      out.append(entry.getKey()).append('=').append(entry.getValue());
    }
    return out.toString();
  }
}
