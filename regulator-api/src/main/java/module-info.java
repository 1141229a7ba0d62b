/**
 * The contract of Regulator: what a library author compiles against. It has no dependencies, so
 * a library that honours a host cap set by its application pulls in nothing but this module.
 */
// "module": the qualified export names modules that are not built yet when this one compiles.
@SuppressWarnings("module")
module io.regulator {
  exports io.regulator;
  // Not API: the builders' shared argument checks, for Regulator's own modules only.
  exports io.regulator.internal to io.regulator.core, io.regulator.zookeeper;
}
