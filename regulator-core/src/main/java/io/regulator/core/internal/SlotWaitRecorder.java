package io.regulator.core.internal;

import io.regulator.HostKey;

/**
 * Records slot waits as JFR events when the runtime has JFR. The core module requires {@code
 * jdk.jfr} statically, so that a runtime image linked without it still runs the regulator; this
 * class checks once whether the module is there and loads {@link SlotWaitEvent} only if so.
 *
 * <p>Thread-safe: stateless.
 */
final class SlotWaitRecorder {
  private static final boolean JFR = ModuleLayer.boot().findModule("jdk.jfr")
      .map(SlotWaitRecorder.class.getModule()::canRead)
      .orElse(false);

  private SlotWaitRecorder() {}

  /** An event begun now for a caller that is about to queue, or null if JFR does not record it. */
  static Object begin() {
    return JFR ? SlotWaitEvent.beginIfRecording() : null;
  }

  /** Ends the wait of {@code begun} (from {@link #begin}, null allowed) with its outcome. */
  static void end(Object begun, HostKey key, String poolName, Outcome outcome) {
    if (begun != null) {
      SlotWaitEvent.endAndCommit(begun, key, poolName, outcome);
    }
  }
}
