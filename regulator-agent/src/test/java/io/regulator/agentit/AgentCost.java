package io.regulator.agentit;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.Executors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A simple measured run for docs/agent.md: JVM uptime when {@code main} starts, then the mean time
 * of sequential GETs to a loopback server through the JDK client and OkHttp (warmed up first).
 * Run it with and without {@code -javaagent}. Usage: {@code AgentCost [requests]}.
 */
public final class AgentCost {
  private AgentCost() {}

  public static void main(String[] args) throws Exception {
    long uptimeAtMain = ManagementFactory.getRuntimeMXBean().getUptime();
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", exchange -> {
      exchange.sendResponseHeaders(200, 2);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write("ok".getBytes());
      }
    });
    server.start();
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest get = HttpRequest.newBuilder(uri).build();
    OkHttpClient okhttp = new OkHttpClient();
    Request okGet = new Request.Builder().url(uri.toString()).build();
    Runnable jdkCall = () -> {
      try {
        jdk.send(get, HttpResponse.BodyHandlers.ofString());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    Runnable okCall = () -> {
      try (Response response = okhttp.newCall(okGet).execute()) {
        response.body().string();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    System.out.println("uptimeAtMainMs=" + uptimeAtMain);
    System.out.println("client=" + jdk.getClass().getSimpleName() + " okhttpInterceptors=" + okhttp.interceptors().size());
    System.out.printf("jdkMicrosPerRequest=%.1f%n", measure(jdkCall, requests));
    System.out.printf("okhttpMicrosPerRequest=%.1f%n", measure(okCall, requests));
    okhttp.dispatcher().executorService().shutdown();
    okhttp.connectionPool().evictAll();
    server.stop(0);
    System.exit(0);
  }

  private static double measure(Runnable call, int requests) {
    for (int i = 0; i < requests; i++) {
      call.run();  // warm-up
    }
    long start = System.nanoTime();
    for (int i = 0; i < requests; i++) {
      call.run();
    }
    return (System.nanoTime() - start) / 1_000.0 / requests;
  }
}
