package io.regulator.tests.clients;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One pool of every kind the project supports, all on one host of one regulator, against a server
 * that counts requests in progress as the host sees them: the host never sees more than its limit,
 * a pool closed mid-flight gives its slots back at once (to the other kinds' waiters), and every
 * count is back to zero at the end. The control runs the same pools without a shared cap.
 */
class EveryPoolKindOneHostTest {

  private static final int LIMIT = 4;
  private static final int CALLS_PER_POOL = 3;
  private static final Duration WAIT = Duration.ofSeconds(30);

  private LoopbackServer server;
  private HostRegulator regulator;
  private final Map<PoolKind, PoolKind.Client> clients = new EnumMap<>(PoolKind.class);

  @BeforeEach
  void start() throws Exception {
    server = new LoopbackServer();
  }

  @AfterEach
  void stop() throws Exception {
    server.open();
    for (PoolKind.Client client : clients.values()) {
      client.close();
    }
    if (regulator != null) {
      regulator.close();
    }
    server.close();
  }

  @Test
  void everyKindOnOneHost_neverPassesTheLimit_andAPoolClosedMidFlightGivesItsSlotsBackAtOnce()
      throws Exception {
    regulator = HostRegulators.builder().limit(server.key(), LIMIT).defaultLimit(1_000).build();
    HostKey key = server.key();
    for (PoolKind kind : PoolKind.values()) {
      clients.put(kind, kind.open(regulator, kind.name().toLowerCase()));
    }
    int total = PoolKind.values().length * CALLS_PER_POOL;

    // The pool closed mid-flight must hold slots when it closes: its calls go first.
    PoolKind.Client closing = clients.get(PoolKind.APACHE_CLASSIC);
    List<CompletableFuture<String>> closingCalls = calls(closing, LIMIT - 1);
    await().atMost(WAIT).until(() -> server.inProgress() == LIMIT - 1);
    List<CompletableFuture<String>> others = new ArrayList<>();
    for (PoolKind.Client client : clients.values()) {
      if (client != closing) {
        others.addAll(calls(client, CALLS_PER_POOL));
      }
    }
    int othersTotal = total - CALLS_PER_POOL;
    await()
        .atMost(WAIT)
        .until(() -> server.inProgress() == LIMIT && regulator.waiting(key) == othersTotal - 1);
    assertEquals(LIMIT, server.maxInProgress(), "the host saw " + server.peak());
    assertEquals(LIMIT, regulator.inUse(key));
    assertEquals(LIMIT - 1, closing.pool.inUse(key));

    closing.close();

    // At once: the closed pool holds nothing, and its slots went to the other kinds' waiters.
    assertEquals(0, closing.pool.inUse(key));
    assertEquals(LIMIT, regulator.inUse(key));
    assertEquals(othersTotal - LIMIT, regulator.waiting(key));
    for (CompletableFuture<String> call : closingCalls) {
      assertTrue(failsWithin(call), "a call of the closed pool completed normally");
    }
    // The closed pool's connections go away too. A blocking client's socket is released only when
    // its reader thread returns from the read that close() interrupted, so the host can still count
    // those requests for a moment after their slots moved on; the cap is on slots, and from here on
    // the host must again never see more than the limit.
    await().atMost(WAIT).until(() -> server.abandoned() == LIMIT - 1);
    await().atMost(WAIT).until(() -> server.inProgress() == LIMIT);
    server.hold();

    server.open();
    for (CompletableFuture<String> call : others) {
      assertEquals("ok", call.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
    assertTrue(
        server.maxInProgress() <= LIMIT,
        "the host saw " + server.maxInProgress() + " at once: " + server.peak());
    await().atMost(WAIT).until(() -> regulator.inUse(key) == 0 && regulator.waiting(key) == 0);
    for (PoolKind.Client client : clients.values()) {
      assertEquals(0, client.pool.inUse(), client + " still holds slots");
    }
  }

  @Test
  void withoutASharedCapTheSamePoolsPassTheLimit_theControl() throws Exception {
    // Each pool on a regulator of its own: per-pool caps of LIMIT add up, as they do without us.
    List<HostRegulator> own = new ArrayList<>();
    try {
      List<CompletableFuture<String>> all = new ArrayList<>();
      for (PoolKind kind : PoolKind.values()) {
        HostRegulator perPool = HostRegulators.builder().defaultLimit(LIMIT).build();
        own.add(perPool);
        PoolKind.Client client = kind.open(perPool, kind.name().toLowerCase());
        clients.put(kind, client);
        all.addAll(calls(client, CALLS_PER_POOL));
      }
      int total = PoolKind.values().length * CALLS_PER_POOL;
      await().atMost(WAIT).until(() -> server.inProgress() == total);
      assertTrue(server.maxInProgress() > LIMIT);
      server.open();
      for (CompletableFuture<String> call : all) {
        assertEquals("ok", call.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      }
    } finally {
      for (PoolKind.Client client : clients.values()) {
        client.close();
      }
      clients.clear();
      own.forEach(HostRegulator::close);
    }
  }

  private List<CompletableFuture<String>> calls(PoolKind.Client client, int n) {
    List<CompletableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(client.get(server.uri("/" + client.kind.name().toLowerCase() + "/" + i)));
    }
    return calls;
  }

  private static boolean failsWithin(CompletableFuture<String> call) throws InterruptedException {
    try {
      call.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      return false;
    } catch (ExecutionException e) {
      return true;
    } catch (TimeoutException e) {
      throw new AssertionError("a call of the closed pool never ended", e);
    }
  }
}
