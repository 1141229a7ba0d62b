package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.DropReason;
import io.regulator.HostBackoffException;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.LimitChangeReason;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Adaptive limits and shared backoff under real threads: blocking and async acquires from three
 * pools, random outcomes (a fifth of them drops, some with a 1 ms Retry-After), limits moving
 * while callers queue. The cap (the band's max) is never exceeded, every limit the algorithm sets
 * is inside the band, and every count is back to baseline.
 */
class AdaptiveConcurrencyTest {
  private static final HostKey HOST = HostKey.of("partner.example", 443);
  private static final int MAX = 8;
  private static final int MIN = 2;

  @RepeatedTest(5)
  void concurrentReportsAndAcquires_neverExceedTheBandAndEndAtBaseline() throws Exception {
    AtomicInteger outOfBand = new AtomicInteger();
    AtomicInteger changes = new AtomicInteger();
    HostRegulator regulator = HostRegulators.builder()
        .defaultLimit(MAX)
        .adaptiveLimits(AdaptiveLimit.aimd().min(MIN).window(Duration.ofMillis(2)).build())
        .sharedRetryAfter(SharedBackoff.WAIT)
        .listener(new RegulatorListener() {
          @Override
          public void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {
            changes.incrementAndGet();
            if (limit < MIN || limit > MAX) {
              outOfBand.incrementAndGet();
            }
          }
        })
        .build();
    List<RegulatedPool> pools = List.of(regulator.newPool("a"), regulator.newPool("b"),
        regulator.newPool("c"));
    AtomicInteger holders = new AtomicInteger();
    AtomicInteger maxHolders = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      RegulatedPool pool = pools.get(t % pools.size());
      boolean async = t % 2 == 0;
      Thread worker = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < 500; i++) {
            Slot slot;
            try {
              slot = async
                  ? pool.acquireAsync(HOST, Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS)
                  : pool.acquire(HOST, Duration.ofSeconds(10));
            } catch (java.util.concurrent.ExecutionException e) {
              if (e.getCause() instanceof HostBackoffException
                  || e.getCause() instanceof SlotTimeoutException) {
                continue;
              }
              throw e;
            } catch (HostBackoffException | SlotTimeoutException e) {
              continue;
            }
            maxHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
            int roll = ThreadLocalRandom.current().nextInt(10);
            if (roll == 0) {
              slot.reportDropped(DropReason.RATE_LIMITED, Duration.ofMillis(1));
            } else if (roll == 1) {
              slot.reportDropped(DropReason.TIMEOUT);
            } else if (roll == 2) {
              slot.reportIgnored();
            } else {
              slot.reportSuccess(Duration.ofMillis(roll));
            }
            holders.decrementAndGet();
            slot.release();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      worker.start();
      workers.add(worker);
    }
    for (Thread worker : workers) {
      worker.join(60_000);
      assertTrue(!worker.isAlive(), "worker finished");
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertTrue(maxHolders.get() <= MAX, "holders " + maxHolders.get() + " above the cap " + MAX);
    assertEquals(0, outOfBand.get(), "every limit set inside [" + MIN + ", " + MAX + "]");
    assertTrue(changes.get() > 0, "the limit moved");
    int limit = regulator.limit(HOST);
    assertTrue(limit >= MIN && limit <= MAX, "limit " + limit);
    assertEquals(0, regulator.inUse(HOST));
    assertEquals(0, regulator.waiting(HOST));
    for (RegulatedPool pool : pools) {
      assertEquals(0, pool.inUse());
    }
    regulator.close();
  }
}
