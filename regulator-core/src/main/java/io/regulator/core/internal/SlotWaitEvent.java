package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.core.RegulatorMeters;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Threshold;

/**
 * A JFR event for an acquire that queued for a slot, begun when it queued and committed when it
 * ended, so the wait shows in JDK Mission Control as a span beside the thread's socket reads. Its
 * threshold (20 ms by default, like {@code jdk.SocketRead}'s) is set per recording, as for every
 * JFR event. Only {@link SlotWaitRecorder} touches this class, and only when {@code jdk.jfr} is
 * readable.
 *
 * <p>Confined to the thread that uses one instance; the waiter publishes it safely.
 */
@Name(RegulatorMeters.SLOT_WAIT_EVENT)
@Label("Slot Wait")
@Category("Regulator")
@Description("A caller queued for a slot of a host: for how long, and how its wait ended")
@Threshold("20 ms")
final class SlotWaitEvent extends Event {
  @Label("Host")
  @Description("The host and port, as in HostKey.toString()")
  String host;

  @Label("Pool")
  @Description("The pool that asked for the slot")
  String pool;

  @Label("Outcome")
  @Description("granted, timeout, closed, cancelled or interrupted")
  String outcome;

  /** A begun event if JFR records this event type now, else null (and nothing allocated). */
  static Object beginIfRecording() {
    if (!FlightRecorder.isInitialized()) {
      return null;
    }
    SlotWaitEvent event = new SlotWaitEvent();
    if (!event.isEnabled()) {
      return null;
    }
    event.begin();
    return event;
  }

  /** Ends a begun event and commits it if it lasted longer than the recording's threshold. */
  static void endAndCommit(Object begun, HostKey key, String poolName, Outcome outcome) {
    SlotWaitEvent event = (SlotWaitEvent) begun;
    event.end();
    if (event.shouldCommit()) {
      event.host = key.toString();
      event.pool = poolName;
      event.outcome = outcome.tag;
      event.commit();
    }
  }
}
