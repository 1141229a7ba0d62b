package consumer.reactornetty;

import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.reactor.netty.RegulatedConnectionProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

public final class Main {
  public static void main(String[] args) throws Exception {
    // Only the module path: an automatic module would read anything on the class path.
    check(System.getProperty("java.class.path").isEmpty(), "class path " + System.getProperty("java.class.path"));
    if (ModuleLayer.boot().findModule("io.regulator.http").isPresent()) {
      throw new AssertionError("regulator-http must not be on this module path");
    }
    AtomicInteger inUseDuringExchange = new AtomicInteger(-1);
    HostRegulator regulator = HostRegulators.builder().defaultLimit(2).build();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    HostKey key = HostKey.of(uri);
    server.createContext("/", exchange -> {
      inUseDuringExchange.set(regulator.inUse(key));
      byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    RegulatedConnectionProvider provider = RegulatedConnectionProvider.wrap(
        ConnectionProvider.builder("consumer").maxConnections(2).build(), regulator.newPool("reactor-netty"));
    try (regulator) {
      String body = HttpClient.create(provider).get().uri(uri)
          .responseSingle((response, content) -> {
            check(response.status().code() == 200, "status " + response.status());
            return content.asString();
          })
          .block(Duration.ofSeconds(30));
      check("hello".equals(body), "body " + body);
      check(inUseDuringExchange.get() == 1, "slot held during the exchange, in use " + inUseDuringExchange.get());
      // The slot comes back when the connection returns to its pool (State.RELEASED), on the
      // event loop, which may be just after block() returned: wait for it, bounded.
      awaitZero(regulator, key);
      provider.disposeLater().block(Duration.ofSeconds(30));
      check(regulator.inUse(key) == 0, "nothing held after the provider was disposed, in use " + regulator.inUse(key));
    } finally {
      provider.dispose();
      server.stop(0);
    }
    System.out.println("OK " + Main.class.getModule().getName() + " sent through "
        + RegulatedConnectionProvider.class.getModule().getName() + " on " + HttpClient.class.getModule().getName());
  }

  private static void awaitZero(HostRegulator regulator, HostKey key) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (regulator.inUse(key) != 0) {
      check(System.nanoTime() < deadline, "slot not given back after the exchange, in use " + regulator.inUse(key));
      Thread.onSpinWait();
    }
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
