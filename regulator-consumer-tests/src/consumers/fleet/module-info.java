/** A fleet node: the regulator under a fleet-wide cap on ZooKeeper, through Curator. */
module consumer.fleet {
  requires io.regulator.core;
  requires io.regulator.zookeeper;
}
