/**
 * The node-wide per-host regulator. Platforms wire it through {@link
 * io.regulator.core.HostRegulators}; its machinery in {@code io.regulator.core.internal} is not
 * exported.
 */
module io.regulator.core {
  requires transitive io.regulator;
  // Static: Micrometer is needed only by a platform that passes a MeterRegistry to the builder.
  requires static micrometer.core;
  // Static: slot waits become JFR events when the runtime has JFR; a runtime linked without it
  // still runs the regulator (SlotWaitRecorder checks).
  requires static jdk.jfr;

  exports io.regulator.core;
}
