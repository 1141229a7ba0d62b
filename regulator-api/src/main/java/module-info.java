/**
 * The contract of Regulator: what a library author compiles against. It has no dependencies, so
 * a library that honours a host cap set by its application pulls in nothing but this module.
 */
module io.regulator {
  exports io.regulator;
}
