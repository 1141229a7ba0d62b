package io.regulator.core.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A pool closes between an acquire's last look at its pool and the acquire queueing: the close
 * finds no queue on the host and skips it, so the acquire must see the close itself once it has the
 * host's lock, and refuse, rather than wait out its timeout in a queue nobody will fail. The
 * interleaving is forced by holding the host's lock while the acquire blocks on it.
 */
class CloseWhileQueueingTest {
  private static final HostKey HOST = HostKey.of("queueing.example", 443);

  private final SemaphoreRegistry regulator = (SemaphoreRegistry) HostRegulators.builder()
      .defaultLimit(1).acquireTimeout(Duration.ofSeconds(30)).build();

  @AfterEach
  void tearDown() {
    regulator.close();
  }

  @Test
  void anAcquireThatQueuesAfterItsPoolClosed_isRefused_andLeavesNoWaiter() throws Exception {
    RegulatedPool holder = regulator.newPool("holder");
    Slot held = holder.acquire(HOST); // the host is full
    RegulatedPool closing = regulator.newPool("closing");
    FifoHostSemaphore host = regulator.table().semaphore(HOST);

    CompletableFuture<Slot> acquired = new CompletableFuture<>();
    Thread acquirer = new Thread(() -> {
      try {
        acquired.complete(closing.acquire(HOST));
      } catch (Throwable t) {
        acquired.completeExceptionally(t);
      }
    }, "acquirer");
    host.lock();
    try {
      acquirer.start();
      // Past its checks of the pool, parked on the host's lock, about to queue.
      await().atMost(10, TimeUnit.SECONDS).until(() ->
          acquirer.getState() == Thread.State.WAITING && LockSupport.getBlocker(acquirer) == host);
      CompletableFuture.runAsync(closing::close).get(10, TimeUnit.SECONDS); // skips: no queue yet
    } finally {
      host.unlock();
    }

    ExecutionException refused =
        assertThrows(ExecutionException.class, () -> acquired.get(10, TimeUnit.SECONDS));
    assertInstanceOf(PoolClosedException.class, refused.getCause());
    assertEquals(0, regulator.waiting(HOST));
    assertTrue(held.release());
    assertEquals(0, regulator.inUse(HOST));
  }
}
