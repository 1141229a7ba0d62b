package io.regulator.core.internal;

import io.regulator.HostKey;
import io.regulator.LimitChangeReason;
import io.regulator.Slot;
import java.util.List;

/**
 * The observers of one regulator, called in order. An exception from one is logged and the next
 * is called anyway: observing must never change what the regulator does, and {@code
 * Slot.close()} must never throw.
 *
 * <p>Thread-safe: immutable.
 */
final class ObserverChain implements SlotObserver {
  private static final System.Logger LOG = System.getLogger(ObserverChain.class.getName());

  private final SlotObserver[] observers;

  private ObserverChain(List<SlotObserver> observers) {
    this.observers = observers.toArray(new SlotObserver[0]);
  }

  /** {@link SlotObserver#NONE} when there is nothing to call, else a chain of them. */
  static SlotObserver of(List<SlotObserver> observers) {
    return observers.isEmpty() ? SlotObserver.NONE : new ObserverChain(observers);
  }

  private static void failed(SlotObserver observer, Throwable t) {
    LOG.log(System.Logger.Level.WARNING, "regulator observer " + observer + " failed", t);
  }

  @Override
  public Slot acquired(LedgerSlot slot, long waitedNanos, Throwable site) {
    Slot handed = slot;
    for (SlotObserver observer : observers) {
      try {
        Slot returned = observer.acquired(slot, waitedNanos, site);
        if (returned != slot) {
          handed = returned;
        }
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
    return handed;
  }

  @Override
  public void released(LedgerSlot slot) {
    for (SlotObserver observer : observers) {
      try {
        observer.released(slot);
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public void refused(HostKey key, PoolLedger ledger, Outcome outcome, long waitedNanos) {
    for (SlotObserver observer : observers) {
      try {
        observer.refused(key, ledger, outcome, waitedNanos);
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public Throwable site(HostKey key, PoolLedger ledger) {
    for (SlotObserver observer : observers) {
      try {
        Throwable site = observer.site(key, ledger);
        if (site != null) {
          return site;
        }
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
    return null;
  }

  @Override
  public void poolOpened(PoolLedger ledger) {
    for (SlotObserver observer : observers) {
      try {
        observer.poolOpened(ledger);
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public void poolClosing(PoolLedger ledger) {
    for (SlotObserver observer : observers) {
      try {
        observer.poolClosing(ledger);
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public void poolClosed(PoolLedger ledger, int reclaimedSlots, boolean unreachable) {
    for (SlotObserver observer : observers) {
      try {
        observer.poolClosed(ledger, reclaimedSlots, unreachable);
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public void hostRemoved(HostKey key) {
    for (SlotObserver observer : observers) {
      try {
        observer.hostRemoved(key);
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {
    for (SlotObserver observer : observers) {
      try {
        observer.limitChanged(key, previous, limit, reason);
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public void backoffStarted(HostKey key, long waitNanos) {
    for (SlotObserver observer : observers) {
      try {
        observer.backoffStarted(key, waitNanos);
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public void regulatorClosed() {
    for (SlotObserver observer : observers) {
      try {
        observer.regulatorClosed();
      } catch (Throwable t) {
        failed(observer, t);
      }
    }
  }

  @Override
  public String toString() {
    return "ObserverChain" + List.of(observers);
  }
}
