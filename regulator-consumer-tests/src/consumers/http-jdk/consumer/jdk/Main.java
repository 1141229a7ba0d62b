package consumer.jdk;

import com.sun.net.httpserver.HttpServer;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import io.regulator.http.jdk.RegulatedHttpClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

public final class Main {
  public static void main(String[] args) throws Exception {
    if (ModuleLayer.boot().findModule("org.apache.httpcomponents.client5.httpclient5").isPresent()) {
      throw new AssertionError("HttpClient 5 must not be on this module path");
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(2).build();
        RegulatedHttpClient client = RegulatedHttpClient.builder(HttpClient.newHttpClient(), regulator.newPool("jdk")).build()) {
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200 || !response.body().equals("hello")) {
        throw new AssertionError(response.statusCode() + " " + response.body());
      }
      if (regulator.inUse(HostKey.of(uri)) != 0) {
        throw new AssertionError("slot not given back");
      }
    } finally {
      server.stop(0);
    }
    System.out.println("OK " + Main.class.getModule().getName() + " sent through " + RegulatedHttpClient.class.getModule().getName());
  }
}
