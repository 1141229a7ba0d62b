/** A platform that passes a MeterRegistry to the builder: it requires Micrometer itself. */
module consumer.micrometer {
  requires io.regulator.core;
  requires micrometer.core;
}
