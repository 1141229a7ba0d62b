package io.regulator.reactor.netty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.TcpClient;

/** The provider's own contract: keys, cancellation, timeouts, dispose, bad input. */
@ExtendWith(NoBlockingExtension.class)
class RegulatedConnectionProviderTest {
  private static final LoopResources LOOPS = LoopResources.create("provider-client", 2, true);

  private HostRegulator regulator;
  private CountingServer server;
  private RegulatedPool holder;

  @BeforeEach
  void start() {
    regulator = HostRegulators.builder().defaultLimit(1).acquireTimeout(Duration.ofSeconds(20)).build();
    server = new CountingServer();
    holder = regulator.newPool("holder");
  }

  @AfterEach
  void stop() {
    try {
      holder.close();
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(server.key()) == 0);
      assertEquals(0, regulator.waiting(server.key()));
      assertEquals(0, server.inProgress());
      assertTrue(server.maxInProgress() <= 1, "server saw " + server.maxInProgress());
    } finally {
      server.close();
      regulator.close();
    }
  }

  @AfterAll
  static void disposeLoops() {
    LOOPS.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
  }

  private RegulatedConnectionProvider provider(String name) {
    return RegulatedConnectionProvider.wrap(ConnectionProvider.builder(name).maxConnections(10).build(), regulator.newPool(name));
  }

  private Mono<? extends Connection> connect(ConnectionProvider provider) {
    return TcpClient.create(provider).host("127.0.0.1").port(server.port()).runOn(LOOPS).connect();
  }

  private Slot holdTheOnlySlot() {
    return holder.tryAcquire(server.key()).orElseThrow();
  }

  @Test
  void cancelWhileQueued_leavesTheQueueAndNeverTakesASlot() {
    RegulatedConnectionProvider provider = provider("cancel");
    try {
      Slot held = holdTheOnlySlot();
      Disposable subscription = connect(provider).subscribe(Connection::dispose);
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(server.key()) == 1);

      subscription.dispose();

      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(server.key()) == 0);
      held.release();
      assertEquals(0, provider.pool().inUse());
      assertEquals(0, regulator.inUse(server.key()));
    } finally {
      provider.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void acquireOnAnEventLoopWhileTheHostIsFull_waitsWithoutHoldingTheEventLoop() throws Exception {
    RegulatedConnectionProvider provider = provider("event-loop");
    try {
      EventLoop loop = LOOPS.onClient(false).next();
      Slot held = holdTheOnlySlot();
      AtomicReference<Connection> connected = new AtomicReference<>();
      connect(provider).subscribeOn(Schedulers.fromExecutor(loop)).subscribe(connected::set);
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(server.key()) == 1);

      assertEquals("free", loop.submit(() -> "free").get(5, TimeUnit.SECONDS), "the event loop runs other work");
      held.release();

      await().atMost(5, TimeUnit.SECONDS).until(() -> connected.get() != null);
      assertEquals(1, provider.pool().inUse(server.key()));
      connected.get().dispose();
      await().atMost(5, TimeUnit.SECONDS).until(() -> provider.pool().inUse() == 0);
    } finally {
      provider.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void cancelAtTheInstantOfTheGrant_neverLeaksASlot() {
    RegulatedConnectionProvider provider = provider("race");
    try {
      for (int i = 0; i < 200; i++) {
        Slot held = holdTheOnlySlot();
        Disposable subscription = connect(provider).subscribe(Connection::dispose);
        await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(server.key()) == 1);

        CompletableFuture<Void> release = CompletableFuture.runAsync(held::release);
        subscription.dispose();
        release.join();

        int round = i;
        await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(server.key()) == 0);
        assertEquals(0, regulator.waiting(server.key()), "round " + round);
      }
      assertEquals(0, provider.pool().inUse());
    } finally {
      provider.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void connectionDisposedByItsUser_givesTheSlotBack() {
    RegulatedConnectionProvider provider = provider("tcp");
    try {
      Connection connection = connect(provider).block(Duration.ofSeconds(10));
      assertEquals(1, provider.pool().inUse(server.key()));

      connection.dispose();

      await().atMost(5, TimeUnit.SECONDS).until(() -> provider.pool().inUse() == 0);
    } finally {
      provider.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void httpRequestCancelledWhileQueued_neverReachesTheServerAndLeavesNoSlot() {
    RegulatedConnectionProvider provider = provider("http-cancel");
    try {
      Slot held = holdTheOnlySlot();
      Disposable request = HttpClient.create(provider).runOn(LOOPS).get().uri(server.url("/cancelled"))
          .responseSingle((response, body) -> body.asString()).subscribe();
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(server.key()) == 1);

      request.dispose();
      // HttpClient does not cancel its provider's acquire: the waiter stays queued until the slot
      // comes, then HttpClient disposes the connection it no longer wants and the slot goes back.
      held.release();

      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(server.key()) == 0);
      assertEquals(0, regulator.waiting(server.key()));
      assertEquals(0, server.requests());
      assertEquals("ok", HttpClient.create(provider).runOn(LOOPS).get().uri(server.url("/next"))
          .responseSingle((response, body) -> body.asString()).block(Duration.ofSeconds(10)));
    } finally {
      provider.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void noSlotWithinTheAcquireTimeout_failsWithSlotTimeoutException() {
    RegulatedConnectionProvider provider = RegulatedConnectionProvider
        .builder(ConnectionProvider.builder("timeout").build(), regulator.newPool("timeout"))
        .acquireTimeout(Duration.ofMillis(50))
        .build();
    try {
      Slot held = holdTheOnlySlot();
      RuntimeException thrown = assertThrows(RuntimeException.class, () -> HttpClient.create(provider).runOn(LOOPS)
          .get().uri(server.url("/late")).responseSingle((response, body) -> body.asString())
          .block(Duration.ofSeconds(10)));
      assertInstanceOf(SlotTimeoutException.class, thrown);
      held.release();
      assertEquals(0, server.requests());
    } finally {
      provider.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void disposeWithWaiters_failsThemWithPoolClosedExceptionAndClosesThePool() {
    RegulatedConnectionProvider provider = provider("dispose");
    Slot held = holdTheOnlySlot();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    connect(provider).subscribe(Connection::dispose, failure::set);
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(server.key()) == 1);

    provider.dispose();

    await().atMost(5, TimeUnit.SECONDS).until(() -> provider.pool().isClosed());
    assertTrue(provider.isDisposed());
    await().atMost(5, TimeUnit.SECONDS).until(() -> failure.get() != null);
    assertInstanceOf(PoolClosedException.class, failure.get());
    assertInstanceOf(PoolClosedException.class,
        assertThrows(RuntimeException.class, () -> connect(provider).block(Duration.ofSeconds(10))));
    held.release();
  }

  @Test
  void disposeWithAConnectionInUse_closesItAndGivesItsSlotBack() {
    RegulatedConnectionProvider provider = provider("in-use");
    Connection connection = connect(provider).block(Duration.ofSeconds(10));
    assertEquals(1, regulator.inUse(server.key()));

    provider.disposeLater().block(Duration.ofSeconds(10));

    assertFalse(connection.channel().isActive());
    assertTrue(provider.pool().isClosed());
    assertEquals(0, regulator.inUse(server.key()));
  }

  @Test
  void theKeyIsTheTargetAsTheClientGivesIt_unresolvedAndWithoutALookup() {
    List<SocketAddress> passed = new CopyOnWriteArrayList<>();
    ConnectionProvider recording = (config, observer, address, resolver) -> {
      passed.add(address.get());
      return Mono.never();
    };
    RegulatedConnectionProvider provider = RegulatedConnectionProvider.wrap(recording, regulator.newPool("keys"));
    InetSocketAddress target = InetSocketAddress.createUnresolved("Partner.Example", 8443);
    Disposable acquiring = provider
        .acquire(HttpClient.create().configuration(), ConnectionObserver.emptyListener(), () -> target, null)
        .subscribe();
    try {
      HostKey key = HostKey.of("partner.example", 8443);
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 1);
      assertEquals(List.of(target), passed);
      assertSame(target, passed.get(0), "the wrapped provider gets the very address that was keyed");
    } finally {
      acquiring.dispose();
      await().atMost(5, TimeUnit.SECONDS).until(() -> provider.pool().inUse() == 0);
      provider.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void hostKeyOf_usesTheHostStringAndIgnoresAddressesThatAreNotHosts() throws Exception {
    assertEquals(HostKey.of("example.com", 443),
        RegulatedConnectionProvider.hostKeyOf(InetSocketAddress.createUnresolved("EXAMPLE.com.", 443)));
    assertEquals(HostKey.of("127.0.0.1", 8080),
        RegulatedConnectionProvider.hostKeyOf(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 8080)));
    assertEquals(HostKey.of("::1", 80),
        RegulatedConnectionProvider.hostKeyOf(new InetSocketAddress(InetAddress.getByName("::1"), 80)));
    assertNull(RegulatedConnectionProvider.hostKeyOf(new SocketAddress() {
      private static final long serialVersionUID = 1L;
    }));
  }

  @Test
  void badInput_isRefusedWithTheParameterNamed() {
    RegulatedPool pool = regulator.newPool("bad");
    ConnectionProvider delegate = ConnectionProvider.newConnection();
    assertEquals("delegate", assertThrows(NullPointerException.class,
        () -> RegulatedConnectionProvider.wrap(null, pool)).getMessage());
    assertEquals("pool", assertThrows(NullPointerException.class,
        () -> RegulatedConnectionProvider.wrap(delegate, null)).getMessage());
    assertEquals("acquireTimeout < 0: PT-1S", assertThrows(IllegalArgumentException.class,
        () -> RegulatedConnectionProvider.builder(delegate, pool).acquireTimeout(Duration.ofSeconds(-1))).getMessage());
    assertEquals("hostKeys", assertThrows(NullPointerException.class,
        () -> RegulatedConnectionProvider.builder(delegate, pool).hostKeys(null)).getMessage());
    RegulatedConnectionProvider regulated = RegulatedConnectionProvider.wrap(delegate, pool);
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> RegulatedConnectionProvider.wrap(regulated, pool)).getMessage().startsWith("delegate is already regulated"));
    assertEquals("method is blank: ' '", assertThrows(IllegalArgumentException.class,
        () -> PolicyRetry.of(io.regulator.http.RetryPolicy.defaults(), " ")).getMessage());
    pool.close();
  }
}
