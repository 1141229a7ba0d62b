package consumer.apache;

import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.RegulatedConnections;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;

public final class Main {
  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    HostKey key = HostKey.of(uri);
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(2).build()) {
      try (CloseableHttpClient classic = HttpClients.custom()
          .setConnectionManager(RegulatedConnections.wrap(
              PoolingHttpClientConnectionManagerBuilder.create().build(), regulator.newPool("classic")))
          .build()) {
        String body = classic.execute(new HttpGet(uri), response -> EntityUtils.toString(response.getEntity()));
        check(body.equals("hello"), "classic body " + body);
      }
      try (CloseableHttpAsyncClient async = HttpAsyncClients.custom()
          .setConnectionManager(RegulatedAsyncConnections.wrap(
              PoolingAsyncClientConnectionManagerBuilder.create().build(), regulator.newPool("async")))
          .build()) {
        async.start();
        SimpleHttpRequest request = SimpleRequestBuilder.get(uri).build();
        SimpleHttpResponse response = async.execute(request, null).get(30, TimeUnit.SECONDS);
        check(response.getCode() == 200, "async status " + response.getCode());
      }
      check(regulator.inUse(key) == 0, "slots given back when the clients closed");
    } finally {
      server.stop(0);
    }
    System.out.println("OK " + Main.class.getModule().getName() + " classic and async through "
        + RegulatedConnections.class.getModule().getName());
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
