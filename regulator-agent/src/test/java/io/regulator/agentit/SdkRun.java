package io.regulator.agentit;

import com.sun.net.httpserver.HttpServer;
import com.vendor.sdk.VendorSdk;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.core.HostRegulators;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.jdk.RegulatedHttpClient;
import io.regulator.okhttp.RegulatedOkHttp;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.management.Attribute;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * The forked JVM of {@code AgentIT}: a counting loopback server, the vendor SDK fanning out on every
 * client it builds, then (with {@code app}) the application wrapping clients itself. Prints one
 * {@code key=value} line per fact for the test to check. Usage: {@code SdkRun <cap> <n> [app]}.
 */
public final class SdkRun {
  private static final ReentrantLock LOCK = new ReentrantLock();
  private static final Condition MORE = LOCK.newCondition();
  private static final AtomicInteger IN_FLIGHT = new AtomicInteger();
  private static final AtomicInteger MAX = new AtomicInteger();
  /** Pools seen holding slots while requests were in flight (only under the agent). */
  private static final Set<String> POOLS = ConcurrentHashMap.newKeySet();
  private static volatile int cap;
  private static volatile HostKey key;
  private static volatile boolean lookAtPools;

  private SdkRun() {}

  public static void main(String[] args) {
    try {
      run(args);
      System.exit(0);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(3);
    }
  }

  private static void run(String[] args) throws Exception {
    cap = Integer.parseInt(args[0]);
    int n = Integer.parseInt(args[1]);
    boolean app = args.length > 2 && args[2].equals("app");
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    ExecutorService handlers = Executors.newCachedThreadPool();
    server.setExecutor(handlers);
    server.createContext("/", exchange -> {
      int now = IN_FLIGHT.incrementAndGet();
      MAX.accumulateAndGet(now, Math::max);
      boolean counted = true;
      try {
        if (lookAtPools) {
          for (HostSnapshot host : HostRegulators.nodeWide().snapshot()) {
            if (host.key().equals(key)) {
              POOLS.addAll(host.inUseByPool().keySet());
            }
          }
        }
        hold();
        // Uncounted before the response goes out: a client cannot have read it (and given its slot
        // back) while the server still counts the request in flight.
        IN_FLIGHT.decrementAndGet();
        counted = false;
        byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      } finally {
        if (counted) {
          IN_FLIGHT.decrementAndGet();
        }
      }
    });
    server.start();
    int port = server.getAddress().getPort();
    key = HostKey.of("127.0.0.1", port);
    URI base = URI.create("http://127.0.0.1:" + port + "/");
    HostRegulator regulator = HostRegulators.nodeWide();
    lookAtPools = regulator.limit(key) == cap;  // the agent's regulator, configured with the cap
    System.out.println("nodeWideLimit=" + regulator.limit(key));

    try (VendorSdk sdk = new VendorSdk(base, n * 4)) {
      for (String kind : VendorSdk.KINDS) {
        MAX.set(0);
        POOLS.clear();
        List<Integer> statuses = sdk.fanOut(kind, n, "/" + kind);
        System.out.println("sdk." + kind + ".max=" + MAX.get());
        System.out.println("sdk." + kind + ".ok=" + statuses.stream().allMatch(s -> s == 200));
        System.out.println("sdk." + kind + ".pools=" + new TreeSet<>(POOLS));
        System.out.println("sdk." + kind + ".class=" + sdk.clientClass(kind));
      }
      System.out.println("sdk.inUseBeforeClose=" + regulator.inUse(key));
    }
    System.out.println("sdk.inUseAfterClose=" + regulator.inUse(key));

    MBeanServer beans = ManagementFactory.getPlatformMBeanServer();
    ObjectName name = new ObjectName("io.regulator:type=Host,name=" + ObjectName.quote(key.toString()));
    if (beans.isRegistered(name)) {
      System.out.println("jmx.limit=" + beans.getAttribute(name, "Limit"));
      beans.setAttribute(name, new Attribute("Limit", cap + 1));
      System.out.println("jmx.limitAfterSet=" + regulator.limit(key));
      beans.setAttribute(name, new Attribute("Limit", cap));
    } else {
      System.out.println("jmx.limit=none");
    }

    if (app) {
      applicationWrapsItsOwn(regulator, base, n);
    }
    server.stop(0);
    handlers.shutdownNow();
    System.out.println("done=true");
  }

  /** Clients the application regulates itself: each request must take one slot, of the application's pool. */
  private static void applicationWrapsItsOwn(HostRegulator regulator, URI base, int n) throws Exception {
    try (RegulatedHttpClient jdk = RegulatedHttpClient.builder(HttpClient.newHttpClient(), regulator.newPool("app-jdk")).build()) {
      run("app.jdk", n, () -> jdk.sendAsync(HttpRequest.newBuilder(base.resolve("/app-jdk")).build(),
          HttpResponse.BodyHandlers.ofString()).thenApply(HttpResponse::statusCode));
    }
    ExecutorService callers = Executors.newCachedThreadPool();
    try (CloseableHttpClient apache = HttpClients.custom()
        .setConnectionManager(RegulatedConnections.wrap(
            PoolingHttpClientConnectionManagerBuilder.create().setMaxConnPerRoute(n).build(),
            regulator.newPool("app-apache5")))
        .build()) {
      run("app.apache5", n, () -> CompletableFuture.supplyAsync(() -> {
        try {
          return apache.execute(new HttpGet(base.resolve("/app-apache5")), response -> {
            EntityUtils.consume(response.getEntity());
            return response.getCode();
          });
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, callers));
    }
    OkHttpClient base0 = new OkHttpClient();  // regulated by the agent
    try (RegulatedOkHttp okhttp = RegulatedOkHttp.builder(base0, regulator.newPool("app-okhttp")).build()) {
      run("app.okhttp", n, () -> CompletableFuture.supplyAsync(() -> {
        try (Response response = okhttp.client().newCall(
            new Request.Builder().url(base.resolve("/app-okhttp").toString()).build()).execute()) {
          response.body().string();
          return response.code();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, callers));
    }
    // ConnectionProvider.create is regulated by the agent; the application's wrapper takes it raw.
    io.regulator.reactor.netty.RegulatedConnectionProvider reactorProvider =
        io.regulator.reactor.netty.RegulatedConnectionProvider.wrap(
            reactor.netty.resources.ConnectionProvider.create("app", n), regulator.newPool("app-reactor"));
    reactor.netty.http.client.HttpClient reactorClient = reactor.netty.http.client.HttpClient.create(reactorProvider);
    run("app.reactor", n, () -> reactorClient.get().uri(base.resolve("/app-reactor").toString())
        .responseSingle((response, body) -> body.asString().defaultIfEmpty("").map(ignored -> response.status().code()))
        .toFuture());
    System.out.println("app.reactor.unwrapped=" + !reactorProvider.delegate().getClass().getName().endsWith("RegulatedConnectionProvider"));
    reactorProvider.disposeLater().block(java.time.Duration.ofSeconds(30));
    callers.shutdownNow();
    System.out.println("app.inUseAfterClose=" + regulator.inUse(key));
  }

  private static void run(String label, int n, java.util.function.Supplier<CompletableFuture<Integer>> send)
      throws Exception {
    MAX.set(0);
    POOLS.clear();
    List<CompletableFuture<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(send.get());
    }
    boolean ok = true;
    for (CompletableFuture<Integer> call : calls) {
      ok &= call.get(60, TimeUnit.SECONDS) == 200;
    }
    System.out.println(label + ".max=" + MAX.get());
    System.out.println(label + ".ok=" + ok);
    System.out.println(label + ".pools=" + new TreeSet<>(POOLS));
  }

  /**
   * Holds a request until more than the cap are in flight (the control shows it at once) or 200 ms
   * passed (under the cap, no further request can come: the regulator holds it back).
   */
  private static void hold() {
    LOCK.lock();
    try {
      MORE.signalAll();
      long nanos = TimeUnit.MILLISECONDS.toNanos(200);
      while (IN_FLIGHT.get() <= cap && nanos > 0) {
        nanos = MORE.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      LOCK.unlock();
    }
  }
}
