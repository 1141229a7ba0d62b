package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.LimitChangeReason;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import io.regulator.SlotLeak;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Turns what the regulator does into {@link RegulatorListener} events. Each listener is called in
 * its own try block: one that throws is logged, and neither the others nor the regulator notice.
 *
 * <p>Thread-safe: immutable.
 */
final class ListenerNotifier implements SlotObserver {
  private static final System.Logger LOG = System.getLogger(ListenerNotifier.class.getName());

  private final RegulatorListener[] listeners;
  private final LongSupplier ticker;

  ListenerNotifier(List<RegulatorListener> listeners, LongSupplier ticker) {
    this.listeners = listeners.toArray(new RegulatorListener[0]);
    this.ticker = ticker;
  }

  private static void failed(RegulatorListener listener, String event, Throwable t) {
    LOG.log(System.Logger.Level.WARNING,
        "regulator listener " + listener + " failed on " + event + "; ignored", t);
  }

  @Override
  public Slot acquired(LedgerSlot slot, long waitedNanos, Throwable site) {
    Duration waited = Duration.ofNanos(waitedNanos);
    for (RegulatorListener listener : listeners) {
      try {
        listener.acquired(slot.key(), slot.ledger.name, waited);
      } catch (Throwable t) {
        failed(listener, "acquired", t);
      }
    }
    return slot;
  }

  @Override
  public void released(LedgerSlot slot) {
    Duration held = Duration.ofNanos(Math.max(0, ticker.getAsLong() - slot.acquiredAt));
    for (RegulatorListener listener : listeners) {
      try {
        listener.released(slot.key(), slot.ledger.name, held);
      } catch (Throwable t) {
        failed(listener, "released", t);
      }
    }
  }

  @Override
  public void refused(HostKey key, PoolLedger ledger, Outcome outcome, long waitedNanos) {
    if (outcome != Outcome.TIMEOUT) {
      return;
    }
    Duration waited = Duration.ofNanos(Math.max(0, waitedNanos));
    for (RegulatorListener listener : listeners) {
      try {
        listener.timedOut(key, ledger.name, waited);
      } catch (Throwable t) {
        failed(listener, "timedOut", t);
      }
    }
  }

  @Override
  public void poolClosed(PoolLedger ledger, int reclaimedSlots, boolean unreachable) {
    for (RegulatorListener listener : listeners) {
      try {
        listener.poolClosed(ledger.name, reclaimedSlots, unreachable);
      } catch (Throwable t) {
        failed(listener, "poolClosed", t);
      }
    }
  }

  @Override
  public void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {
    for (RegulatorListener listener : listeners) {
      try {
        listener.limitChanged(key, previous, limit, reason);
      } catch (Throwable t) {
        failed(listener, "limitChanged", t);
      }
    }
  }

  @Override
  public void backoffStarted(HostKey key, long waitNanos) {
    Duration wait = Duration.ofNanos(waitNanos);
    for (RegulatorListener listener : listeners) {
      try {
        listener.backoffStarted(key, wait);
      } catch (Throwable t) {
        failed(listener, "backoffStarted", t);
      }
    }
  }

  /** Tells every listener about a suspected leak. */
  void leakSuspected(SlotLeak leak) {
    for (RegulatorListener listener : listeners) {
      try {
        listener.leakSuspected(leak);
      } catch (Throwable t) {
        failed(listener, "leakSuspected", t);
      }
    }
  }

  @Override
  public String toString() {
    return "ListenerNotifier" + List.of(listeners);
  }
}
