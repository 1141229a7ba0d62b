package io.regulator.jetty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostOverloadedException;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.util.component.LifeCycle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The pool's three hooks against a real loopback server, and the cap it keeps. */
class RegulatedConnectionPoolTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final CountingServer server;
  private final Clients clients = new Clients();
  private final CountDownLatch gate = new CountDownLatch(1);
  private HostRegulator regulator;

  RegulatedConnectionPoolTest() throws Exception {
    server = new CountingServer().script((n, exchange) -> {
      gate.await(WAIT.toSeconds(), TimeUnit.SECONDS);
      return CountingServer.Reply.ok();
    });
  }

  @AfterEach
  void tearDown() throws Exception {
    gate.countDown();
    clients.stopAll();
    if (regulator != null) {
      regulator.close();
    }
    server.close();
  }

  private HostRegulator regulator(int limit) {
    regulator = HostRegulators.builder().defaultLimit(limit).build();
    return regulator;
  }

  private static List<CompletableFuture<ContentResponse>> send(HttpClient client, CountingServer server, int n) {
    List<CompletableFuture<ContentResponse>> responses = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      responses.add(Clients.get(client, server.uri("/r" + i)));
    }
    return responses;
  }

  private static void assertAllOk(List<CompletableFuture<ContentResponse>> responses) throws Exception {
    for (CompletableFuture<ContentResponse> response : responses) {
      assertEquals(200, response.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    }
  }

  @RepeatedTest(3)
  void sixteenConcurrentRequests_neverPassTheHostLimitAtTheServer() throws Exception {
    HostRegulator regulator = regulator(4);
    HttpClient client = clients.start(regulator.newPool("jetty"));

    List<CompletableFuture<ContentResponse>> responses = send(client, server, 16);
    await().atMost(WAIT).until(() -> server.inProgress() == 4 && regulator.waiting(server.key()) == 12);
    assertEquals(12, Clients.poolOf(client, server.key()).waitingExchanges(), "one wait per queued request");
    gate.countDown();
    assertAllOk(responses);

    assertEquals(16, server.requests());
    assertTrue(server.maxInProgress() <= 4, "server saw " + server.maxInProgress() + " in progress, limit 4");
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(0, regulator.waiting(server.key()));
    assertEquals(0, Clients.poolOf(client, server.key()).heldSlots());
  }

  @RepeatedTest(5)
  void threeClientsChurningOneHost_neverPassTheLimit_andEveryRequestCompletes() throws Exception {
    gate.countDown();
    HostRegulator regulator = regulator(4);
    List<HttpClient> three = List.of(clients.start(regulator.newPool("c0")), clients.start(regulator.newPool("c1")),
        clients.start(regulator.newPool("c2")));

    List<CompletableFuture<ContentResponse>> responses = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      responses.add(Clients.get(three.get(i % 3), server.uri("/churn" + i)));
    }
    assertAllOk(responses);

    assertEquals(60, server.requests());
    assertTrue(server.maxInProgress() <= 4, "server saw " + server.maxInProgress() + " in progress, limit 4");
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(0, regulator.waiting(server.key()));
    for (HttpClient client : three) {
      RegulatedConnectionPool pool = Clients.poolOf(client, server.key());
      assertEquals(0, pool.heldSlots());
      assertEquals(0, pool.waitingExchanges());
    }
  }

  @Test
  void withoutTheRegulator_sixteenConcurrentRequestsPassTheLimit() throws Exception {
    HttpClient client = clients.start(null);

    List<CompletableFuture<ContentResponse>> responses = send(client, server, 16);
    await().atMost(WAIT).until(() -> server.inProgress() == 16);
    gate.countDown();
    assertAllOk(responses);

    assertTrue(server.maxInProgress() > 4, "control: Jetty alone opens 16 connections at once");
  }

  @Test
  void slotGivenBackByAnotherPool_wakesTheWaitingDestination() throws Exception {
    gate.countDown();
    HostRegulator regulator = regulator(2);
    RegulatedPool other = regulator.newPool("other");
    Slot first = other.tryAcquire(server.key()).orElseThrow();
    Slot second = other.tryAcquire(server.key()).orElseThrow();
    HttpClient client = clients.start(regulator.newPool("jetty"));

    CompletableFuture<ContentResponse> response = Clients.get(client, server.uri("/woken"));
    await().atMost(WAIT).until(() -> regulator.waiting(server.key()) == 1);
    assertFalse(response.isDone());
    assertEquals(0, server.requests(), "no request went out without a slot");

    first.release();
    assertEquals(200, response.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    assertEquals(1, server.requests());
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 1);
    second.release();
    assertEquals(0, regulator.inUse(server.key()));
    assertEquals(0, regulator.waiting(server.key()));
  }

  @Test
  void twoClientsOnOneHost_shareItsLimitAndWakeEachOther() throws Exception {
    HostRegulator regulator = regulator(3);
    HttpClient a = clients.start(regulator.newPool("a"));
    HttpClient b = clients.start(regulator.newPool("b"));

    List<CompletableFuture<ContentResponse>> responses = new ArrayList<>(send(a, server, 8));
    responses.addAll(send(b, server, 8));
    await().atMost(WAIT).until(() -> server.inProgress() == 3 && regulator.waiting(server.key()) == 13);
    gate.countDown();
    assertAllOk(responses);

    assertTrue(server.maxInProgress() <= 3, "server saw " + server.maxInProgress() + " in progress, limit 3");
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(0, regulator.waiting(server.key()));
  }

  @Test
  void stoppingTheClient_closesItsRegulatedPoolAndGivesBackItsSlots() throws Exception {
    HostRegulator regulator = regulator(4);
    RegulatedPool pool = regulator.newPool("jetty");
    HttpClient client = clients.start(pool);

    List<CompletableFuture<ContentResponse>> responses = send(client, server, 6);
    await().atMost(WAIT).until(() -> server.inProgress() == 4);
    client.stop();

    assertTrue(pool.isClosed(), "stop closes the RegulatedPool");
    assertEquals(0, regulator.inUse(server.key()));
    assertEquals(0, regulator.waiting(server.key()));
    for (CompletableFuture<ContentResponse> response : responses) {
      assertThrows(ExecutionException.class, () -> response.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
    assertTrue(server.maxInProgress() <= 4);
  }

  @Test
  void stoppingADestination_givesBackItsSlotsWhileThePoolStaysOpen() throws Exception {
    HostRegulator regulator = regulator(4);
    RegulatedPool pool = regulator.newPool("jetty");
    HttpClient client = clients.start(pool);

    List<CompletableFuture<ContentResponse>> responses = send(client, server, 6);
    await().atMost(WAIT).until(() -> server.inProgress() == 4 && regulator.waiting(server.key()) == 2);
    HttpDestination destination = (HttpDestination) client.getDestinations().get(0);
    RegulatedConnectionPool connections = (RegulatedConnectionPool) destination.getConnectionPool();
    LifeCycle.stop(destination);

    assertFalse(pool.isClosed());
    assertEquals(0, connections.heldSlots());
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0 && regulator.waiting(server.key()) == 0);
    for (CompletableFuture<ContentResponse> response : responses) {
      assertThrows(ExecutionException.class, () -> response.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }
  }

  @Test
  void slotTimeout_failsTheRequestThatWaited_andTheDestinationGoesOn() throws Exception {
    gate.countDown();
    HostRegulator regulator = regulator(1);
    RegulatedPool other = regulator.newPool("other");
    Slot held = other.tryAcquire(server.key()).orElseThrow();
    HttpClient client = clients.start(new HttpClient(), regulator.newPool("jetty"), Duration.ofMillis(100));

    CompletableFuture<ContentResponse> timedOut = Clients.get(client, server.uri("/timed-out"));
    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> timedOut.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertInstanceOf(SlotTimeoutException.class, failure.getCause());
    assertEquals(0, regulator.waiting(server.key()));

    CompletableFuture<ContentResponse> next = Clients.get(client, server.uri("/next"));
    held.release();
    assertEquals(200, next.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    assertEquals(List.of("/next"), server.arrivals());
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(0, regulator.waiting(server.key()));
  }

  @RepeatedTest(5)
  void fullWaiterQueue_failsTheRequestsBeyondIt_andServesTheOthers() throws Exception {
    regulator = HostRegulators.builder().defaultLimit(2).maxWaitersPerHost(3).build();
    HttpClient client = clients.start(regulator.newPool("jetty"));

    List<CompletableFuture<ContentResponse>> responses = send(client, server, 8);
    // Settled: every request still queued has its wait, at most three (the queue's room), and at
    // least the three beyond that room failed (one more when a connect was pending, see docs).
    await().atMost(WAIT).until(() -> server.inProgress() == 2
        && responses.stream().filter(CompletableFuture::isCompletedExceptionally).count() >= 3
        && Clients.poolOf(client, server.key()).waitingExchanges()
            == ((HttpDestination) client.getDestinations().get(0)).getQueuedRequestCount());
    assertTrue(regulator.waiting(server.key()) <= 3);
    gate.countDown();
    int ok = 0;
    for (CompletableFuture<ContentResponse> response : responses) {
      try {
        assertEquals(200, response.get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
        ok++;
      } catch (ExecutionException e) {
        assertInstanceOf(HostOverloadedException.class, e.getCause());
      }
    }
    assertTrue(ok >= 2 && ok <= 5, "two sent at once, up to three waited: " + ok);
    assertTrue(server.maxInProgress() <= 2);
    await().atMost(WAIT).until(() -> regulator.inUse(server.key()) == 0);
    assertEquals(0, regulator.waiting(server.key()));
  }

  @Test
  void install_refusesBadInputWithTheValue() throws Exception {
    HostRegulator regulator = regulator(1);
    RegulatedPool pool = regulator.newPool("jetty");
    HttpClient client = new HttpClient();
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> RegulatedPoolFactory.install(client, pool, Duration.ofMillis(-1)));
    assertEquals("acquireTimeout < 0: PT-0.001S", negative.getMessage());
    assertThrows(NullPointerException.class, () -> RegulatedPoolFactory.install(client, null));

    RegulatedPoolFactory.install(client, pool);
    IllegalStateException twice = assertThrows(IllegalStateException.class,
        () -> RegulatedPoolFactory.install(client, regulator.newPool("second")));
    assertEquals("client already regulated by pool 'jetty'", twice.getMessage());

    pool.close();
    IllegalStateException closed = assertThrows(IllegalStateException.class,
        () -> RegulatedPoolFactory.install(new HttpClient(), pool));
    assertEquals("pool is closed: jetty", closed.getMessage());
  }

  @Test
  void key_isTheDestinationOriginHostAndPort() throws Exception {
    gate.countDown();
    HostRegulator regulator = regulator(2);
    HttpClient client = clients.start(regulator.newPool("jetty"));
    assertEquals(200, Clients.get(client, server.uri("/")).get(WAIT.toSeconds(), TimeUnit.SECONDS).getStatus());
    assertEquals(HostKey.of("127.0.0.1", server.port()), Clients.poolOf(client, server.key()).key());
  }
}
