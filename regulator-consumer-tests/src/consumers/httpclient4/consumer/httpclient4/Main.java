package consumer.httpclient4;

import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.http.RetryPolicy;
import io.regulator.httpclient4.RegulatedConnections;
import io.regulator.httpclient4.RetryPolicyHandler;
import io.regulator.httpclient4.RetryPolicyStrategy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.util.EntityUtils;

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
    try (regulator;
        CloseableHttpClient client = HttpClients.custom()
            .setConnectionManager(RegulatedConnections.wrap(new PoolingHttpClientConnectionManager(),
                regulator.newPool("httpclient4")))
            .setServiceUnavailableRetryStrategy(new RetryPolicyStrategy(RetryPolicy.defaults()))
            .setRetryHandler(new RetryPolicyHandler(RetryPolicy.defaults()))
            .build()) {
      try (CloseableHttpResponse response = client.execute(new HttpGet(uri))) {
        check(response.getStatusLine().getStatusCode() == 200, "status " + response.getStatusLine());
        check(regulator.inUse(key) == 1, "slot held until the entity is consumed, in use " + regulator.inUse(key));
        String body = EntityUtils.toString(response.getEntity());
        check(body.equals("hello"), "body " + body);
      }
      check(inUseDuringExchange.get() == 1, "slot held during the exchange, in use " + inUseDuringExchange.get());
      check(regulator.inUse(key) == 0, "slot given back when the entity was consumed, in use " + regulator.inUse(key));
    } finally {
      server.stop(0);
    }
    System.out.println("OK " + Main.class.getModule().getName() + " sent through "
        + RegulatedConnections.class.getModule().getName() + " on " + HttpClients.class.getModule().getName());
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
