package io.regulator.tests;

import static io.regulator.tests.Waits.afterGc;
import static io.regulator.tests.Waits.soon;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scenario 14: host churn. A hundred thousand distinct hosts are each acquired and released once;
 * the idle ones leave memory, while hosts with slots out or callers queued survive every
 * collection with their counts intact.
 *
 * <p>This is the test that would have caught AsyncHttpClient pruning busy per-host semaphores:
 * had a busy host's entry been dropped, the next acquire would have created a fresh, empty one,
 * and a {@code tryAcquire} at the limit below would succeed.
 */
class HostChurnScenarioTest {
  private static final int LIMIT = 2;
  private static final int CHURNED_HOSTS = 100_000;
  private static final Duration LONG = Duration.ofMinutes(1);
  /** Slack over the busy hosts for entries that the churn's last moments leave behind. */
  private static final int SLACK = 16;
  /** Slack in heap use after the churn: a retained entry per churned host would far exceed it. */
  private static final long HEAP_SLACK_BYTES = 8L << 20;

  private HostRegulator regulator;
  private ExecutorService threads;

  @BeforeEach
  void setUp() {
    regulator = HostRegulators.builder().defaultLimit(LIMIT).acquireTimeout(LONG).build();
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() {
    threads.shutdownNow();
    regulator.close();
  }

  @Test
  void hundredThousandHostsUsedOnce_leaveMemoryWhileBusyHostsSurviveIntact() throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    RegulatedPool pool = regulator.newPool("churn");
    RegulatedPool probe = regulator.newPool("probe");

    // Hosts at their limit whose slots the caller holds, as connections would.
    List<HostKey> heldHosts = hosts("held", 40);
    List<Slot> heldSlots = new ArrayList<>();
    for (HostKey host : heldHosts) {
      heldSlots.add(pool.acquire(host, LONG));
      heldSlots.add(pool.acquire(host, LONG));
    }
    // Hosts at their limit whose slots only the pool still knows of.
    List<HostKey> forgottenHosts = hosts("forgotten", 40);
    for (HostKey host : forgottenHosts) {
      pool.acquire(host, LONG);
      pool.acquire(host, LONG);
    }
    // Hosts at their limit with a caller queued, blocking or async.
    List<HostKey> queuedHosts = hosts("queued", 8);
    List<Slot> queuedHostSlots = new ArrayList<>();
    List<Future<Slot>> blockedCallers = new ArrayList<>();
    List<CompletableFuture<Slot>> asyncCallers = new ArrayList<>();
    for (int i = 0; i < queuedHosts.size(); i++) {
      HostKey host = queuedHosts.get(i);
      queuedHostSlots.add(pool.acquire(host, LONG));
      queuedHostSlots.add(pool.acquire(host, LONG));
      if (i % 2 == 0) {
        blockedCallers.add(threads.submit(() -> probe.acquire(host, LONG)));
        soon().until(() -> regulator.waiting(host) == 1);
      } else {
        asyncCallers.add(probe.acquireAsync(host, LONG));
      }
    }
    // An idle host with a limit of its own, which must outlive its entry.
    HostKey ownLimitHost = HostKey.of("own-limit.example", 443);
    regulator.setLimit(ownLimitHost, 3);
    int busyHosts = heldHosts.size() + forgottenHosts.size() + queuedHosts.size();

    long heapBefore = usedHeapAfterGc(memory);
    for (int i = 0; i < CHURNED_HOSTS; i++) {
      HostKey host = HostKey.of("churn-" + i + ".example", 443);
      assertTrue(pool.acquire(host, LONG).release());
    }
    assertTrue(regulator.trackedHosts() >= busyHosts);

    afterGc().until(() -> {
      System.gc();
      return regulator.trackedHosts() <= busyHosts + SLACK;
    });
    long heapAfter = usedHeapAfterGc(memory);

    assertTrue(heapAfter - heapBefore < HEAP_SLACK_BYTES, "heap grew by "
        + ((heapAfter - heapBefore) >> 10) + " KiB over " + CHURNED_HOSTS + " idle hosts");
    assertTrue(regulator.trackedHosts() >= busyHosts, "busy hosts are never dropped");
    for (HostKey host : heldHosts) {
      assertAtLimitAndRefusing(probe, host);
    }
    for (HostKey host : forgottenHosts) {
      assertAtLimitAndRefusing(probe, host);
    }
    for (HostKey host : queuedHosts) {
      assertAtLimitAndRefusing(probe, host);
      assertEquals(1, regulator.waiting(host), host.toString());
    }
    assertEquals(3, regulator.limit(ownLimitHost), "an own limit survives its idle entry");
    Baseline.assertFullCapacity(regulator, ownLimitHost);

    // Late releases go to the surviving entries: queued callers get them, nothing is inflated.
    for (int i = 0; i < queuedHostSlots.size(); i += 2) {
      assertTrue(queuedHostSlots.get(i).release());
    }
    List<Slot> handedOn = new ArrayList<>();
    for (Future<Slot> caller : blockedCallers) {
      handedOn.add(caller.get(10, TimeUnit.SECONDS));
    }
    for (CompletableFuture<Slot> caller : asyncCallers) {
      handedOn.add(caller.get(10, TimeUnit.SECONDS));
    }
    for (HostKey host : queuedHosts) {
      assertAtLimitAndRefusing(probe, host);
      assertEquals(0, regulator.waiting(host));
    }
    for (Slot slot : heldSlots) {
      assertTrue(slot.release());
    }
    for (int i = 1; i < queuedHostSlots.size(); i += 2) {
      assertTrue(queuedHostSlots.get(i).release());
    }
    for (Slot slot : handedOn) {
      assertTrue(slot.release());
    }
    assertEquals(2 * forgottenHosts.size(), pool.inUse(), "only the forgotten slots remain");
    pool.close();
    probe.close();
    for (List<HostKey> hosts : List.of(heldHosts, forgottenHosts, queuedHosts)) {
      for (HostKey host : hosts) {
        Baseline.assertBackToBaseline(regulator, host);
      }
    }
  }

  /**
   * Workers hammer a few hot hosts while the churn and the collections run, so hot entries go
   * idle, get dropped and come back under load; no host ever holds more than its limit.
   */
  @Test
  void hotHostsUnderChurnAndCollections_neverExceedTheirLimit() throws Exception {
    List<HostKey> hot = hosts("hot", 4);
    List<HolderGauge> gauges = new ArrayList<>();
    for (int i = 0; i < hot.size(); i++) {
      gauges.add(new HolderGauge());
    }
    AtomicBoolean stop = new AtomicBoolean();
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      RegulatedPool pool = regulator.newPool("hot-" + w);
      int first = w;
      workers.add(threads.submit(() -> {
        for (int i = first; !stop.get(); i++) {
          int index = i % hot.size();
          Slot slot = pool.acquire(hot.get(index), LONG);
          gauges.get(index).enter();
          Thread.yield();
          gauges.get(index).exit();
          slot.release();
        }
        pool.close();
        return null;
      }));
    }
    RegulatedPool churn = regulator.newPool("churn");
    for (int i = 0; i < CHURNED_HOSTS / 2; i++) {
      churn.acquire(HostKey.of("churn-" + i + ".example", 80), LONG).release();
      if (i % 10_000 == 0) {
        System.gc();
      }
    }
    afterGc().until(() -> {
      System.gc();
      return regulator.trackedHosts() <= hot.size() + SLACK;
    });
    stop.set(true);
    for (Future<?> worker : workers) {
      worker.get(30, TimeUnit.SECONDS);
    }
    churn.close();
    for (int i = 0; i < hot.size(); i++) {
      assertTrue(gauges.get(i).grants() > 100, "the workers ran: " + gauges.get(i).grants());
      gauges.get(i).assertNeverAbove(LIMIT);
      Baseline.assertBackToBaseline(regulator, hot.get(i));
    }
  }

  private void assertAtLimitAndRefusing(RegulatedPool probe, HostKey host) {
    assertEquals(LIMIT, regulator.inUse(host), () -> host + " lost its count");
    assertTrue(probe.tryAcquire(host).isEmpty(), () -> host + " admitted over its limit");
  }

  private static List<HostKey> hosts(String prefix, int count) {
    List<HostKey> hosts = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      hosts.add(HostKey.of(prefix + "-" + i + ".example", 443));
    }
    return hosts;
  }

  private static long usedHeapAfterGc(MemoryMXBean memory) {
    System.gc();
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
