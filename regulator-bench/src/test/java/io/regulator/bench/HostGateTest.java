package io.regulator.bench;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each peer really caps a host: the benchmarks would measure nothing if a gate let all through. */
class HostGateTest {

  @ParameterizedTest
  @EnumSource(Peer.class)
  void fullHost_queuesTheNextCallerUntilARelease(Peer peer) throws Exception {
    try (HostGate gate = peer.open(2)) {
      Object key = gate.distinctKeys(1)[0];
      Object first = gate.acquire(key);
      Object second = gate.acquire(key);
      AtomicReference<Object> third = new AtomicReference<>();
      Thread waiter = new Thread(() -> {
        try {
          third.set(gate.acquire(key));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      waiter.start();

      await().atMost(Duration.ofSeconds(5)).until(() -> parked(waiter));
      assertEquals(null, third.get(), peer + " let a third caller past a limit of 2");

      gate.release(key, first);
      waiter.join(Duration.ofSeconds(5).toMillis());
      assertNotNull(third.get(), peer + " did not hand the released slot to the waiter");
      gate.release(key, second);
      gate.release(key, third.get());
    }
  }

  @ParameterizedTest
  @EnumSource(Peer.class)
  void distinctKeys_shareNoSlots(Peer peer) throws Exception {
    try (HostGate gate = peer.open(1)) {
      Object[] keys = gate.distinctKeys(100);
      Object[] permits = new Object[keys.length];
      // Two keys sharing a slot would block the second acquire for good.
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
        for (int i = 0; i < keys.length; i++) {
          permits[i] = gate.acquire(keys[i]);
        }
      });
      for (int i = 0; i < keys.length; i++) {
        gate.release(keys[i], permits[i]);
      }
    }
  }

  private static boolean parked(Thread thread) {
    Thread.State state = thread.getState();
    return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
  }
}
