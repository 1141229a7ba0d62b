/**
 * The node-wide per-host regulator. Platforms wire it through {@link
 * io.regulator.core.HostRegulators}; its machinery in {@code io.regulator.core.internal} is not
 * exported.
 */
module io.regulator.core {
  requires transitive io.regulator;
  requires com.github.benmanes.caffeine;
  // Static: Micrometer is needed only by a platform that passes a MeterRegistry to the builder.
  requires static transitive micrometer.core;

  exports io.regulator.core;
}
