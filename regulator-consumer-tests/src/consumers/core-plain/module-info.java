/** A platform that uses the regulator and nothing else: no Micrometer on its module path. */
module consumer.core {
  requires io.regulator.core;
}
