package io.regulator.reactor.netty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/** The cap holds across providers at a real server, and fails without the regulator. */
@ExtendWith(NoBlockingExtension.class)
class CapTest {
  private static final int LIMIT = 4;
  private static final LoopResources LOOPS = LoopResources.create("cap-client", 2, true);

  private HostRegulator regulator;
  private CountingServer server;

  @BeforeEach
  void start() {
    regulator = HostRegulators.builder().defaultLimit(LIMIT).acquireTimeout(Duration.ofSeconds(20)).build();
    server = new CountingServer().script((n, request) -> Mono.delay(Duration.ofMillis(30)).thenReturn(CountingServer.Reply.ok()));
  }

  @AfterEach
  void stop() {
    server.close();
    regulator.close();
  }

  @AfterAll
  static void disposeLoops() {
    LOOPS.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
  }

  private List<String> load(ConnectionProvider first, ConnectionProvider second, int perClient) {
    HttpClient a = HttpClient.create(first).runOn(LOOPS);
    HttpClient b = HttpClient.create(second).runOn(LOOPS);
    return Flux.range(0, perClient * 2)
        .flatMap(i -> (i % 2 == 0 ? a : b).get().uri(server.url("/r" + i))
            .responseSingle((response, body) -> body.asString()), perClient * 2)
        .collectList()
        .block(Duration.ofSeconds(30));
  }

  @Test
  void twoProvidersOfTwentyConnectionsEach_serverNeverSeesMoreThanTheLimit() {
    RegulatedConnectionProvider first = RegulatedConnectionProvider.wrap(
        ConnectionProvider.builder("first").maxConnections(20).build(), regulator.newPool("first"));
    RegulatedConnectionProvider second = RegulatedConnectionProvider.wrap(
        ConnectionProvider.builder("second").maxConnections(20).build(), regulator.newPool("second"));
    try {
      List<String> bodies = load(first, second, 16);

      assertEquals(32, bodies.size());
      assertTrue(bodies.stream().allMatch("ok"::equals), bodies.toString());
      assertTrue(server.maxInProgress() <= LIMIT, "server saw " + server.maxInProgress());
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(server.key()) == 0);
      assertEquals(0, first.pool().inUse());
      assertEquals(0, second.pool().inUse());
      assertEquals(0, server.inProgress());
    } finally {
      first.disposeLater().block(Duration.ofSeconds(10));
      second.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void theSameLoadWithoutTheRegulator_exceedsTheLimit() {
    ConnectionProvider first = ConnectionProvider.builder("first").maxConnections(20).build();
    ConnectionProvider second = ConnectionProvider.builder("second").maxConnections(20).build();
    try {
      load(first, second, 16);

      assertTrue(server.maxInProgress() > LIMIT, "control saw only " + server.maxInProgress());
    } finally {
      first.disposeLater().block(Duration.ofSeconds(10));
      second.disposeLater().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void blockHound_catchesASleepOnAnEventLoop() {
    ExecutionException thrown = assertThrows(ExecutionException.class,
        () -> LOOPS.onClient(false).next().submit(() -> {
          Thread.sleep(1);
          return null;
        }).get(10, TimeUnit.SECONDS));
    assertTrue(thrown.getCause() instanceof BlockingOperationError, thrown.toString());
    assertEquals(1, NoBlockingExtension.violations().size());
    NoBlockingExtension.reset(); // the violation was the point
  }
}
