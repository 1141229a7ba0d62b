package io.regulator.demo;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.core.HostRegulators;
import io.regulator.http.RetryPolicy;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.apache.ReleaseBeforeRetry;
import io.regulator.http.apache.RetryPolicyStrategy;
import io.regulator.http.jdk.RegulatedHttpClient;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;

/**
 * Three real HTTP pools (the JDK client, HttpClient 5 classic and async), each allowed far more
 * connections than the host's limit, under one regulator against a loopback server that counts
 * requests in progress and throttles some with 429. One pool is shut down halfway with requests in
 * flight. A live table every half second, then a verdict; the exit code is 1 if the server ever saw
 * more requests in progress than the limit or the slots did not all come back.
 */
public final class Demo {
  private static final int TICK_MILLIS = 500;

  private final DemoOptions options;
  private final PrintStream out;
  private final boolean redraw;
  private int lastTableLines;

  private Demo(DemoOptions options, PrintStream out, boolean redraw) {
    this.options = options;
    this.out = out;
    this.redraw = redraw;
  }

  /** Runs the demo; exits 0 on a pass, 1 on a fail, 2 on bad options. */
  public static void main(String[] args) throws Exception {
    System.exit(launch(args, System.out, System.err, System.console() != null));
  }

  /**
   * The command line: usage on {@code out} when asked for ({@code --help}, exit code 0), the
   * problem and the usage on {@code err} for bad options (2), else the run (0 pass, 1 fail).
   */
  static int launch(String[] args, PrintStream out, PrintStream err, boolean redraw) throws Exception {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (DemoOptions.HelpRequested help) {
      out.println(DemoOptions.USAGE);
      return 0;
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      err.println(DemoOptions.USAGE);
      return 2;
    }
    return new Demo(options, out, redraw).run() ? 0 : 1;
  }

  /** Runs the demo and prints its table and verdict; returns whether it passed. */
  static boolean run(DemoOptions options, PrintStream out) throws Exception {
    return new Demo(options, out, false).run();
  }

  private boolean run() throws Exception {
    try (DemoServer server = new DemoServer(options.rate429(), options.latencyMillis());
        HostRegulator regulator = HostRegulators.builder()
            .defaultLimit(options.limit())
            .acquireTimeout(Duration.ofSeconds(10))
            .build()) {
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/");
      HostKey key = HostKey.of(uri);
      int baseline = regulator.inUse(key);
      // Retry-After from the server asks for 1 to 2 s; the cap keeps a run inside its time.
      RetryPolicy retry = RetryPolicy.builder().maxAttempts(4).baseDelay(Duration.ofMillis(50))
          .maxDelay(Duration.ofSeconds(2)).build();

      List<Load> loads = new ArrayList<>();
      for (String kind : DemoOptions.KINDS) {
        if (options.pools().contains(kind)) {
          loads.add(load(kind, regulator, uri, retry));
        }
      }
      out.printf(Locale.ROOT, "Regulator demo: %s pools against %s, limit %d per host, %d requests in flight per"
              + " pool, %.0f%% answered 429, %d s%s%n",
          loads.size(), key, options.limit(), options.workers(), options.rate429() * 100,
          options.duration().toSeconds(),
          options.shutdown().equals("none") ? "" : "; pool '" + options.shutdown() + "' is shut down halfway");
      out.println("  (cut: requests that failed because their pool was shut down under them; abandoned: requests whose"
          + " client closed the connection before the server answered. Neither breaks the cap.)");
      long start = System.nanoTime();
      long end = start + options.duration().toNanos();
      long shutdownAt = start + options.duration().toNanos() / 2;
      for (Load load : loads) {
        load.start(options.workers());
      }
      boolean shutdownDone = options.shutdown().equals("none");
      while (System.nanoTime() < end) {
        TimeUnit.MILLISECONDS.sleep(TICK_MILLIS);
        if (!shutdownDone && System.nanoTime() >= shutdownAt) {
          shutdownDone = true;
          for (Load load : loads) {
            if (load.name.equals(options.shutdown())) {
              load.shutdown();
            }
          }
        }
        table(server, regulator, key, loads, start);
      }
      for (Load load : loads) {
        load.stopping = true;
      }
      // In-flight requests finish; a retry may still sit in its backoff of at most 2 s. A shut
      // down async client drops the retries it had scheduled without a callback, so its loops
      // are not waited for long: its requests were cut, and its slots came back when it closed.
      // The table keeps ticking meanwhile, so the run does not look stuck while it drains.
      long stopAt = System.nanoTime();
      for (Load load : loads) {
        long deadline = stopAt + TimeUnit.MILLISECONDS.toNanos(load.shutDown ? 1_000 : 10_000);
        while (!load.awaitStopped(TICK_MILLIS) && System.nanoTime() - deadline < 0) {
          table(server, regulator, key, loads, start);
        }
      }
      for (Load load : loads) {
        if (!load.shutDown) {
          load.closeClient();
        }
      }
      table(server, regulator, key, loads, start);
      return verdict(server, regulator, key, baseline, loads);
    }
  }

  private Load load(String kind, HostRegulator regulator, URI uri, RetryPolicy retry) {
    switch (kind) {
      case "jdk":
        return jdk(regulator, uri, retry);
      case "classic":
        return classic(regulator, uri, retry);
      default:
        return async(regulator, uri, retry);
    }
  }

  private static Load jdk(HostRegulator regulator, URI uri, RetryPolicy retry) {
    RegulatedHttpClient client = RegulatedHttpClient.builder(HttpClient.newHttpClient(), regulator.newPool("jdk"))
        .retryPolicy(retry).build();
    HttpRequest request = HttpRequest.newBuilder(uri.resolve("/jdk")).timeout(Duration.ofSeconds(10)).build();
    return new Load("jdk", client.pool()) {
      @Override
      void startWorker(Runnable done) {
        thread(() -> {
          while (keepGoing()) {
            try {
              count(client.send(request, BodyHandlers.ofString()).statusCode());
            } catch (Exception e) {
              failedWith(e);
            }
          }
        }, done);
      }

      @Override
      void closeClient() {
        client.close();
      }
    };
  }

  private static Load classic(HostRegulator regulator, URI uri, RetryPolicy retry) {
    RegulatedConnections connections = RegulatedConnections.wrap(PoolingHttpClientConnectionManagerBuilder.create()
        .setMaxConnPerRoute(100).setMaxConnTotal(100).build(), regulator.newPool("classic"));
    CloseableHttpClient client = HttpClients.custom()
        .setConnectionManager(connections)
        .setRetryStrategy(new RetryPolicyStrategy(retry))
        .setDefaultRequestConfig(RequestConfig.custom().setConnectionRequestTimeout(Timeout.ofSeconds(10))
            .setResponseTimeout(Timeout.ofSeconds(10)).build())
        .build();
    return new Load("classic", connections.pool()) {
      @Override
      void startWorker(Runnable done) {
        thread(() -> {
          while (keepGoing()) {
            try {
              count(client.execute(new HttpGet(uri.resolve("/classic")), response -> {
                EntityUtils.consume(response.getEntity());
                return response.getCode();
              }));
            } catch (Exception e) {
              failedWith(e);
            }
          }
        }, done);
      }

      @Override
      void closeClient() {
        client.close(CloseMode.IMMEDIATE);
      }
    };
  }

  private static Load async(HostRegulator regulator, URI uri, RetryPolicy retry) {
    RegulatedAsyncConnections connections = RegulatedAsyncConnections.wrap(
        PoolingAsyncClientConnectionManagerBuilder.create().setMaxConnPerRoute(100).setMaxConnTotal(100).build(),
        regulator.newPool("async"));
    CloseableHttpAsyncClient client = ReleaseBeforeRetry.install(HttpAsyncClients.custom()
            .setConnectionManager(connections)
            .setRetryStrategy(new RetryPolicyStrategy(retry))
            .setDefaultRequestConfig(RequestConfig.custom().setConnectionRequestTimeout(Timeout.ofSeconds(10))
                .setResponseTimeout(Timeout.ofSeconds(10)).build()))
        .build();
    client.start();
    SimpleHttpRequest request = SimpleRequestBuilder.get(uri.resolve("/async")).build();
    return new Load("async", connections.pool()) {
      @Override
      void startWorker(Runnable done) {
        next(done);
      }

      /** One request; its completion starts the next: a loop that holds no thread. */
      private void next(Runnable done) {
        if (!keepGoing()) {
          done.run();
          return;
        }
        try {
          client.execute(request, new FutureCallback<SimpleHttpResponse>() {
            @Override
            public void completed(SimpleHttpResponse response) {
              count(response.getCode());
              next(done);
            }

            @Override
            public void failed(Exception e) {
              failedWith(e);
              next(done);
            }

            @Override
            public void cancelled() {
              failedWith(new IllegalStateException("cancelled"));
              next(done);
            }
          });
        } catch (RuntimeException e) {
          failedWith(e);
          done.run();
        }
      }

      @Override
      void closeClient() {
        client.close(CloseMode.IMMEDIATE);
      }
    };
  }

  private static void thread(Runnable loop, Runnable done) {
    Thread thread = new Thread(() -> {
      try {
        loop.run();
      } finally {
        done.run();
      }
    });
    thread.setDaemon(true);
    thread.start();
  }

  private void table(DemoServer server, HostRegulator regulator, HostKey key, List<Load> loads, long start) {
    HostSnapshot host = null;
    for (HostSnapshot snapshot : regulator.snapshot()) {
      if (snapshot.key().equals(key)) {
        host = snapshot;
      }
    }
    Map<String, Integer> byPool = (host == null) ? Map.of() : host.inUseByPool();
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "t=%5.1fs  host %s  limit %d  in use %d  waiting %d  server: in progress %d,"
            + " highest %d, 429s %d",
        (System.nanoTime() - start) / 1e9, key, regulator.limit(key), regulator.inUse(key), regulator.waiting(key),
        server.inProgress(), server.maxInProgress(), server.throttled()));
    lines.add(String.format(Locale.ROOT, "  %-8s %7s %8s %7s %6s  %s", "pool", "in use", "ok", "failed", "cut",
        "state"));
    for (Load load : loads) {
      lines.add(String.format(Locale.ROOT, "  %-8s %7d %8d %7d %6d  %s", load.name, byPool.getOrDefault(load.name, 0),
          load.ok.get(), load.failed.get(), load.cut.get(), load.state()));
    }
    StringBuilder text = new StringBuilder();
    if (redraw && lastTableLines > 0) {
      // Back over the previous table and clear it, so the table stays in place in a terminal.
      text.append("\033[").append(lastTableLines).append('F').append("\033[J");
    }
    for (String line : lines) {
      text.append(line).append(System.lineSeparator());
    }
    out.print(text);
    out.flush();
    lastTableLines = lines.size();
  }

  private boolean verdict(DemoServer server, HostRegulator regulator, HostKey key, int baseline, List<Load> loads) {
    long ok = 0;
    long failed = 0;
    long cut = 0;
    for (Load load : loads) {
      ok += load.ok.get();
      failed += load.failed.get();
      cut += load.cut.get();
    }
    int highest = server.maxInProgress();
    int limit = regulator.limit(key);
    int inUse = regulator.inUse(key);
    int waiting = regulator.waiting(key);
    boolean capHeld = highest <= limit;
    boolean slotsBack = inUse == baseline && waiting == 0;
    boolean served = ok > 0;
    boolean pass = capHeld && slotsBack && served;
    List<String> why = new ArrayList<>();
    if (!capHeld) {
      why.add("the server saw " + highest + " requests in progress, over the limit of " + limit);
    }
    if (!slotsBack) {
      why.add(inUse + " slots still in use and " + waiting + " waiting after every pool closed, baseline " + baseline);
    }
    if (!served) {
      why.add("no request succeeded");
    }
    out.printf(Locale.ROOT, "VERDICT: %s  highest concurrency %d of limit %d; in use %d after close (baseline %d)%s;"
            + " requests ok %d, failed %d, cut by shutdown %d; server answered %d with 429, saw %d abandoned"
            + " (closed by their client before the answer)%s%n",
        pass ? "PASS" : "FAIL", highest, limit, inUse, baseline, slotsBack ? ", back to baseline" : "",
        ok, failed, cut, server.throttled(), server.abandoned(), why.isEmpty() ? "" : " -- " + String.join("; ", why));
    return pass;
  }
}
