package io.regulator.reactor.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.SlotTimeoutException;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * What a slot covers on HTTP/2, and the limit that follows (docs/reactor-netty.md): Reactor
 * Netty's HTTP/2 pool opens its connections through the regulated provider and keeps them, so a
 * slot covers one HTTP/2 connection for its life. Concurrent requests that make the pool open more
 * connections wait for slots of a full host that only a closing connection gives back, and fail
 * with {@link SlotTimeoutException} instead of sharing the open connection.
 */
@ExtendWith(NoBlockingExtension.class)
class Http2Test {

  @Test
  void h2cConnection_holdsOneSlotForItsLifeAndExtraConnectionsOfAFullHostTimeOut() {
    LoopResources loops = LoopResources.create("h2c", 1, true);
    DisposableServer server = HttpServer.create().host("127.0.0.1").port(0).protocol(HttpProtocol.H2C).runOn(loops)
        .handle((request, response) -> response.sendString(Mono.just("ok")))
        .bindNow();
    HostKey key = HostKey.of("127.0.0.1", server.port());
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build()) {
      RegulatedConnectionProvider provider = RegulatedConnectionProvider
          .builder(ConnectionProvider.builder("h2c").maxConnections(4).build(), regulator.newPool("h2c"))
          .acquireTimeout(Duration.ofMillis(300))
          .build();
      HttpClient client = HttpClient.create(provider).protocol(HttpProtocol.H2C).runOn(loops);

      List<Object> results = Flux.range(0, 3)
          .flatMap(i -> client.get().uri("http://127.0.0.1:" + server.port() + "/s" + i)
              .responseSingle((response, body) -> body.asString())
              .cast(Object.class)
              .onErrorResume(error -> Mono.just(error)))
          .collectList()
          .block(Duration.ofSeconds(10));

      assertTrue(results.contains("ok"), results.toString());
      assertTrue(results.stream().allMatch(r -> "ok".equals(r) || r instanceof SlotTimeoutException), results.toString());
      assertEquals(1, regulator.inUse(key), "the HTTP/2 pool keeps its connection, and so its slot");
      assertEquals("ok", client.get().uri("http://127.0.0.1:" + server.port() + "/again")
          .responseSingle((response, body) -> body.asString()).block(Duration.ofSeconds(10)), "a stream on the open connection");

      provider.disposeLater().block(Duration.ofSeconds(10));
      assertEquals(0, regulator.inUse(key));
    } finally {
      server.disposeNow();
      loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
    }
  }
}
