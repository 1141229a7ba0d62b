/**
 * Fleet-wide host caps: a node's regulator whose slots also need a lease on Apache Curator's
 * ZooKeeper semaphore, so that a whole fleet of nodes stays under one limit per host. Platforms
 * wire it through {@link io.regulator.zookeeper.FleetHostRegulators}; its machinery in {@code
 * io.regulator.zookeeper.internal} is not exported.
 */
module io.regulator.zookeeper {
  requires transitive io.regulator;
  // Transitive: the builder takes the platform's CuratorFramework. Curator and ZooKeeper are
  // modules only by their file names (no Automatic-Module-Name in their manifests).
  requires transitive curator.framework;
  requires curator.client;
  requires curator.recipes;
  requires zookeeper;
  // Static: Micrometer is needed only by a platform that passes a MeterRegistry to the builder.
  requires static micrometer.core;

  exports io.regulator.zookeeper;
}
