package io.regulator.reactor.netty;

import io.regulator.HostKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

/**
 * A Reactor Netty server on 127.0.0.1 that counts the requests in progress from all clients at
 * once and remembers the most it ever saw. A request counts from its arrival until just before its
 * response is written, or until its client closes the connection, so the count never runs ahead
 * of the slots the clients hold. Replies are scripted, as {@code Mono}s: a test holds a request in
 * progress with a gate, and no server thread ever blocks.
 */
final class CountingServer implements AutoCloseable {
  /** Decides the reply to request number {@code n} (from 1). */
  @FunctionalInterface
  interface Script {
    Mono<Reply> reply(int n, HttpServerRequest request);
  }

  /** A reply: a status with headers and a body, or a connection dropped without a response. */
  record Reply(int status, Map<String, String> headers, String body, boolean drop) {
    static Reply ok() {
      return new Reply(200, Map.of(), "ok", false);
    }

    static Reply status(int status) {
      return new Reply(status, Map.of(), "status " + status, false);
    }

    static Reply retryAfter(int status, String retryAfter) {
      return new Reply(status, Map.of("Retry-After", retryAfter), "retry later", false);
    }

    static Reply dropConnection() {
      return new Reply(0, Map.of(), "", true);
    }
  }

  private final LoopResources loops = LoopResources.create("counting-server", 1, true);
  private final DisposableServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger inProgress = new AtomicInteger();
  private final AtomicInteger maxInProgress = new AtomicInteger();
  private final List<String> arrivals = new CopyOnWriteArrayList<>();
  private volatile Script script = (n, request) -> Mono.just(Reply.ok());

  CountingServer() {
    server = HttpServer.create().host("127.0.0.1").port(0).runOn(loops).handle(this::handle).bindNow();
  }

  CountingServer script(Script script) {
    this.script = script;
    return this;
  }

  private Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
    int n = requests.incrementAndGet();
    arrivals.add(request.fullPath());
    maxInProgress.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
    AtomicBoolean counted = new AtomicBoolean(true);
    Runnable end = () -> {
      if (counted.compareAndSet(true, false)) {
        inProgress.decrementAndGet();
      }
    };
    request.withConnection(connection -> connection.onDispose(end::run)); // the client went away
    return request.receive().then()
        .then(Mono.defer(() -> script.reply(n, request)))
        .flatMap(reply -> {
          end.run();
          if (reply.drop()) {
            response.withConnection(connection -> connection.channel().close());
            return Mono.<Void>empty();
          }
          reply.headers().forEach(response::header);
          return response.status(reply.status()).sendString(Mono.just(reply.body())).then();
        })
        .doFinally(signal -> end.run());
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  HostKey key() {
    return HostKey.of("127.0.0.1", server.port());
  }

  int port() {
    return server.port();
  }

  int requests() {
    return requests.get();
  }

  int inProgress() {
    return inProgress.get();
  }

  int maxInProgress() {
    return maxInProgress.get();
  }

  /** The paths of all requests, in the order they arrived. */
  List<String> arrivals() {
    return List.copyOf(arrivals);
  }

  @Override
  public void close() {
    server.disposeNow();
    loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block();
  }
}
