package io.regulator.demo;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.LimitChangeReason;
import io.regulator.RegulatorListener;
import io.regulator.core.AdaptiveLimit;
import io.regulator.core.HostRegulators;
import io.regulator.http.RetryPolicy;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.apache.ReleaseBeforeRetry;
import io.regulator.http.apache.RetryPolicyStrategy;
import io.regulator.http.jdk.RegulatedHttpClient;
import io.regulator.jetty.RegulatedPoolFactory;
import io.regulator.jetty.RetryingSender;
import io.regulator.okhttp.RegulatedOkHttp;
import io.regulator.reactor.netty.PolicyRetry;
import io.regulator.reactor.netty.RegulatedConnectionProvider;
import io.regulator.reactor.netty.RetryableStatusException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Seven real HTTP pools (the JDK client, HttpClient 5 classic and async, HttpClient 4.5, OkHttp,
 * Reactor Netty and Jetty; {@code --pools} picks some), each allowed far more
 * connections than the host's limit, under one regulator against a loopback server that counts
 * requests in progress and throttles some with 429. One pool is shut down halfway with requests in
 * flight. A live table every half second, then a verdict; the exit code is 1 if the server ever saw
 * more requests in progress than the limit or the slots did not all come back.
 *
 * <p>With {@code --capacity} the server refuses with 429 above a capacity and the host's limit is
 * adaptive (AIMD, between 1 and the configured limit); {@code --halve-capacity} halves the
 * capacity at the midpoint, and the limit column comes down after it.
 */
public final class Demo {
  private static final int TICK_MILLIS = 500;
  /** Short enough that a halved capacity shows in the limit within a few ticks. */
  private static final Duration ADAPTIVE_WINDOW = Duration.ofMillis(250);

  private final DemoOptions options;
  private final PrintStream out;
  private final boolean redraw;
  private int lastTableLines;
  /** The demo host's adaptive limit: the highest and lowest it was set to, and how often it moved. */
  private final AtomicInteger highestLimit = new AtomicInteger();
  private final AtomicInteger lowestLimit = new AtomicInteger();
  private final AtomicInteger limitChanges = new AtomicInteger();
  private volatile HostKey demoKey;
  private String halvedAt = "";

  private Demo(DemoOptions options, PrintStream out, boolean redraw) {
    this.options = options;
    this.out = out;
    this.redraw = redraw;
  }

  /** Runs the demo; exits 0 on a pass, 1 on a fail, 2 on bad options. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("agent")) {
      AgentDemo.main(Arrays.copyOfRange(args, 1, args.length)); // the vendor SDK under -javaagent
      return;
    }
    if (args.length > 0 && args[0].equals("fleet")) {
      FleetDemo.main(Arrays.copyOfRange(args, 1, args.length)); // node processes on ZooKeeper
      return;
    }
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
    highestLimit.set(options.limit());
    lowestLimit.set(options.limit());
    HostRegulators.Builder builder = HostRegulators.builder()
        .defaultLimit(options.limit())
        .acquireTimeout(Duration.ofSeconds(10));
    if (adaptive()) {
      builder.adaptiveLimits(AdaptiveLimit.aimd().window(ADAPTIVE_WINDOW).build())
          .listener(new RegulatorListener() {
            @Override
            public void limitChanged(HostKey changed, int previous, int limit, LimitChangeReason reason) {
              if (changed.equals(demoKey)) {
                highestLimit.accumulateAndGet(limit, Math::max);
                lowestLimit.accumulateAndGet(limit, Math::min);
                limitChanges.incrementAndGet();
              }
            }
          });
    }
    try (DemoServer server = new DemoServer(options.rate429(), options.latencyMillis(), options.capacity());
        HostRegulator regulator = builder.build()) {
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/");
      HostKey key = HostKey.of(uri);
      demoKey = key;
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
      if (adaptive()) {
        out.printf(Locale.ROOT, "  server capacity %d (429 with Retry-After above it)%s; the host's limit adapts"
                + " (AIMD, %d ms windows, 1..%d)%n", options.capacity(),
            options.halveCapacity() ? ", halved to " + halved() + " halfway" : "", ADAPTIVE_WINDOW.toMillis(),
            options.limit());
      }
      out.println("  (cut: requests that failed because their pool was shut down under them; abandoned: requests whose"
          + " client closed the connection before the server answered. Neither breaks the cap.)");
      long start = System.nanoTime();
      long end = start + options.duration().toNanos();
      long shutdownAt = start + options.duration().toNanos() / 2;
      for (Load load : loads) {
        load.start(options.workers());
      }
      boolean shutdownDone = options.shutdown().equals("none");
      boolean halvingDone = !options.halveCapacity();
      while (System.nanoTime() < end) {
        TimeUnit.MILLISECONDS.sleep(TICK_MILLIS);
        if (!halvingDone && System.nanoTime() >= shutdownAt) {
          halvingDone = true;
          server.setCapacity(halved());
          halvedAt = String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9);
        }
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

  private boolean adaptive() {
    return options.capacity() > 0;
  }

  private int halved() {
    return Math.max(1, options.capacity() / 2);
  }

  /** {@code 8} while the limit is where it was configured, {@code 8 -> 5} once it moved. */
  private String limitText(int limit) {
    return limit == options.limit() ? Integer.toString(limit) : options.limit() + " -> " + limit;
  }

  private Load load(String kind, HostRegulator regulator, URI uri, RetryPolicy retry) {
    switch (kind) {
      case "jdk":
        return jdk(regulator, uri, retry);
      case "classic":
        return classic(regulator, uri, retry);
      case "async":
        return async(regulator, uri, retry);
      case "apache4":
        return apache4(regulator, uri, retry);
      case "okhttp":
        return okhttp(regulator, uri, retry);
      case "reactor":
        return reactor(regulator, uri, retry);
      case "jetty":
        return jetty(regulator, uri, retry);
      default:
        throw new IllegalArgumentException("unknown pool kind: " + kind);
    }
  }

  private static Load apache4(HostRegulator regulator, URI uri, RetryPolicy retry) {
    org.apache.http.impl.conn.PoolingHttpClientConnectionManager manager =
        new org.apache.http.impl.conn.PoolingHttpClientConnectionManager();
    manager.setMaxTotal(100);
    manager.setDefaultMaxPerRoute(100);
    io.regulator.httpclient4.RegulatedConnections connections =
        io.regulator.httpclient4.RegulatedConnections.wrap(manager, regulator.newPool("apache4"));
    org.apache.http.impl.client.CloseableHttpClient client = org.apache.http.impl.client.HttpClients.custom()
        .setConnectionManager(connections)
        .setServiceUnavailableRetryStrategy(new io.regulator.httpclient4.RetryPolicyStrategy(retry))
        .setRetryHandler(new io.regulator.httpclient4.RetryPolicyHandler(retry))
        .setDefaultRequestConfig(org.apache.http.client.config.RequestConfig.custom()
            .setConnectionRequestTimeout(10_000).setSocketTimeout(10_000).build())
        .build();
    return new Load("apache4", connections.pool()) {
      @Override
      void startWorker(Runnable done) {
        thread(() -> {
          while (keepGoing()) {
            try {
              count(client.execute(new org.apache.http.client.methods.HttpGet(uri.resolve("/apache4")), response -> {
                org.apache.http.util.EntityUtils.consume(response.getEntity());
                return response.getStatusLine().getStatusCode();
              }));
            } catch (Exception e) {
              failedWith(e);
            }
          }
        }, done);
      }

      @Override
      void closeClient() {
        try {
          client.close();
        } catch (java.io.IOException e) {
          failedWith(e);
        }
      }
    };
  }

  private static Load okhttp(HostRegulator regulator, URI uri, RetryPolicy retry) {
    okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
    dispatcher.setMaxRequests(100);
    dispatcher.setMaxRequestsPerHost(100);
    RegulatedOkHttp okhttp = RegulatedOkHttp.builder(new okhttp3.OkHttpClient.Builder()
            .dispatcher(dispatcher).callTimeout(Duration.ofSeconds(20)), regulator.newPool("okhttp"))
        .retryPolicy(retry).acquireTimeout(Duration.ofSeconds(10)).build();
    okhttp3.Request request = new okhttp3.Request.Builder().url(uri.resolve("/okhttp").toString()).build();
    return new Load("okhttp", okhttp.pool()) {
      @Override
      void startWorker(Runnable done) {
        next(done);
      }

      /** One call; its callback starts the next: a loop that holds no thread while it waits. */
      private void next(Runnable done) {
        if (!keepGoing()) {
          done.run();
          return;
        }
        try {
          okhttp.enqueue(okhttp.client().newCall(request), new okhttp3.Callback() {
            @Override
            public void onResponse(okhttp3.Call call, okhttp3.Response response) {
              try (response) {
                response.body().bytes();
                count(response.code());
              } catch (Exception e) {
                failedWith(e);
              }
              next(done);
            }

            @Override
            public void onFailure(okhttp3.Call call, java.io.IOException e) {
              failedWith(e);
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
        okhttp.close();
      }
    };
  }

  private static Load reactor(HostRegulator regulator, URI uri, RetryPolicy retry) {
    RegulatedConnectionProvider provider = RegulatedConnectionProvider.wrap(
        reactor.netty.resources.ConnectionProvider.builder("reactor").maxConnections(100)
            .pendingAcquireMaxCount(-1).build(),
        regulator.newPool("reactor"));
    reactor.netty.http.client.HttpClient client = reactor.netty.http.client.HttpClient.create(provider)
        .responseTimeout(Duration.ofSeconds(10));
    URI target = uri.resolve("/reactor");
    return new Load("reactor", provider.pool()) {
      @Override
      void startWorker(Runnable done) {
        next(done);
      }

      /** One request; its completion starts the next, on no thread of ours. */
      private void next(Runnable done) {
        if (!keepGoing()) {
          done.run();
          return;
        }
        client.get().uri(target)
            .responseSingle((response, body) -> RetryableStatusException.check(response, retry)
                .then(body.then(reactor.core.publisher.Mono.just(response.status().code()))))
            .retryWhen(PolicyRetry.of(retry, "GET"))
            .subscribe(status -> {
              count(status);
              next(done);
            }, failure -> {
              if (failure instanceof RetryableStatusException) {
                count(((RetryableStatusException) failure).status());
              } else {
                failedWith(failure);
              }
              next(done);
            });
      }

      @Override
      void closeClient() {
        provider.disposeLater().block(Duration.ofSeconds(10));
      }
    };
  }

  private static Load jetty(HostRegulator regulator, URI uri, RetryPolicy retry) {
    org.eclipse.jetty.client.HttpClient client = new org.eclipse.jetty.client.HttpClient();
    client.setMaxConnectionsPerDestination(100);
    client.setMaxRequestsQueuedPerDestination(1_000);
    io.regulator.RegulatedPool pool = regulator.newPool("jetty");
    RegulatedPoolFactory.install(client, pool, Duration.ofSeconds(10));
    try {
      client.start();
    } catch (Exception e) {
      throw new IllegalStateException("the Jetty client did not start", e);
    }
    RetryingSender sender = new RetryingSender(retry);
    URI target = uri.resolve("/jetty");
    return new Load("jetty", pool) {
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
        sender.send(() -> client.newRequest(target).timeout(10, TimeUnit.SECONDS)).whenComplete((response, failure) -> {
          if (failure != null) {
            failedWith(failure);
          } else {
            count(response.getStatus());
          }
          next(done);
        });
      }

      @Override
      void closeClient() {
        try {
          client.stop();
        } catch (Exception e) {
          failedWith(e);
        }
      }
    };
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
    long overCapacity = server.overCapacity(); // before throttled(), which it never exceeds
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "t=%5.1fs  host %s  limit %s  in use %d  waiting %d  server: in progress %d,"
            + " highest %d, 429s %d%s",
        (System.nanoTime() - start) / 1e9, key, limitText(regulator.limit(key)), regulator.inUse(key),
        regulator.waiting(key), server.inProgress(), server.maxInProgress(), server.throttled(),
        adaptive() ? String.format(Locale.ROOT, " (%d over capacity %d)", overCapacity, server.capacity())
            : ""));
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
    // The limit in force: an adaptive limit that came down revokes no slot held, so the server may
    // still see the requests the higher limit let in; the cap is the highest limit ever in force.
    int limit = highestLimit.get();
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
            + " (closed by their client before the answer)%s%s%n",
        pass ? "PASS" : "FAIL", highest, limit, inUse, baseline, slotsBack ? ", back to baseline" : "",
        ok, failed, cut, server.throttled(), server.abandoned(), adaptive() ? adaptiveVerdict(server, regulator, key) : "",
        why.isEmpty() ? "" : " -- " + String.join("; ", why));
    return pass;
  }

  private String adaptiveVerdict(DemoServer server, HostRegulator regulator, HostKey key) {
    int lowest = lowestLimit.get();
    String moved = lowest < options.limit()
        ? String.format(Locale.ROOT, "limit %d -> %d at its lowest, %d at the end (%d changes)", options.limit(),
            lowest, regulator.limit(key), limitChanges.get())
        : String.format(Locale.ROOT, "limit stayed at %d", options.limit());
    String capacity = options.halveCapacity()
        ? String.format(Locale.ROOT, "server capacity %d -> %d at t=%ss", options.capacity(), halved(), halvedAt)
        : String.format(Locale.ROOT, "server capacity %d", options.capacity());
    return String.format(Locale.ROOT, "; adaptive %s; %s, %d answered 429 over capacity", moved, capacity,
        server.overCapacity());
  }
}
