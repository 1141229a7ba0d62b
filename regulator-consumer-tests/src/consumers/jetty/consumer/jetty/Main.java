package consumer.jetty;

import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.jetty.RegulatedPoolFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;

public final class Main {
  public static void main(String[] args) throws Exception {
    // Only the module path: an automatic module would read anything on the class path.
    check(System.getProperty("java.class.path").isEmpty(), "class path " + System.getProperty("java.class.path"));
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
    HttpClient client = new HttpClient();
    try (regulator) {
      RegulatedPoolFactory.install(client, regulator.newPool("jetty"));
      client.start();
      ContentResponse response = client.newRequest(uri).timeout(30, TimeUnit.SECONDS).send();
      check(response.getStatus() == 200, "status " + response.getStatus());
      check(response.getContentAsString().equals("hello"), "body " + response.getContentAsString());
      check(inUseDuringExchange.get() == 1, "slot held during the exchange, in use " + inUseDuringExchange.get());
      // Jetty releases the connection to its pool (our hook) as the exchange ends, which may be
      // just after send() returned on another thread: wait for it, bounded.
      awaitZero(regulator, key);
      client.stop();
      check(regulator.inUse(key) == 0, "nothing held after the client stopped, in use " + regulator.inUse(key));
    } finally {
      if (!client.isStopped()) {
        client.stop();
      }
      server.stop(0);
    }
    System.out.println("OK " + Main.class.getModule().getName() + " sent through "
        + RegulatedPoolFactory.class.getModule().getName() + " on " + HttpClient.class.getModule().getName());
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
