package consumer.fleet;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import io.regulator.zookeeper.FleetHostRegulator;
import io.regulator.zookeeper.FleetHostRegulators;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/** args[0]: the ZooKeeper connect string. */
public final class Main {
  public static void main(String[] args) throws Exception {
    HostKey key = HostKey.of("api.partner.example", 443);
    try (CuratorFramework curator = CuratorFrameworkFactory.builder()
        .connectString(args[0])
        .sessionTimeoutMs(15_000)
        .retryPolicy(new ExponentialBackoffRetry(100, 5))
        .build()) {
      curator.start();
      if (!curator.blockUntilConnected(30, TimeUnit.SECONDS)) {
        throw new AssertionError("ZooKeeper not connected: " + args[0]);
      }
      try (FleetHostRegulator regulator = FleetHostRegulators.builder(curator)
          .local(HostRegulators.builder().defaultLimit(4).build())
          .path("/regulator/consumer")
          .fleetLimit(key, 1)
          .build()) {
        RegulatedPool pool = regulator.newPool("fleet");
        try (Slot slot = pool.acquire(key)) {
          if (pool.tryAcquire(key).isPresent()) {
            throw new AssertionError("the fleet limit of 1 holds");
          }
        }
        if (regulator.inUse(key) != 0) {
          throw new AssertionError("slot not given back");
        }
      }
    }
    System.out.println("OK " + Main.class.getModule().getName() + " leased through " + FleetHostRegulator.class.getModule().getName());
  }
}
