package consumer.okhttp;

import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.okhttp.RegulatedOkHttp;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

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
        RegulatedOkHttp okhttp = RegulatedOkHttp.builder(new OkHttpClient.Builder(), regulator.newPool("okhttp")).build()) {
      try (Response response = okhttp.client().newCall(new Request.Builder().url(uri.toString()).build()).execute()) {
        check(response.code() == 200, "status " + response.code());
        check(regulator.inUse(key) == 1, "slot held until the body is read, in use " + regulator.inUse(key));
        String body = response.body().string();
        check(body.equals("hello"), "body " + body);
      }
      check(inUseDuringExchange.get() == 1, "slot held during the exchange, in use " + inUseDuringExchange.get());
      check(regulator.inUse(key) == 0, "slot given back when the body was read, in use " + regulator.inUse(key));
    } finally {
      server.stop(0);
    }
    System.out.println("OK " + Main.class.getModule().getName() + " sent through "
        + RegulatedOkHttp.class.getModule().getName() + " on " + OkHttpClient.class.getModule().getName());
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError(what);
    }
  }
}
