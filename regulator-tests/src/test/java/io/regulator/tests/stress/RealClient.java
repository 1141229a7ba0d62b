package io.regulator.tests.stress;

import io.regulator.RegulatedPool;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.jdk.RegulatedHttpClient;
import io.regulator.okhttp.RegulatedOkHttp;
import io.regulator.reactor.netty.RegulatedConnectionProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import reactor.netty.resources.ConnectionProvider;

/**
 * A real HTTP client of one of the project's integrations, on its own {@link RegulatedPool}: the
 * client takes and gives back the slots itself, and {@link #close} shuts it down the way its users
 * do (the client, connection manager or provider close, which closes the pool). Each pool's own
 * maximum per host is far above any host limit, so that only the regulator caps.
 *
 * <p>None of them retries a 429 or 503 by itself (the soak's worker backs off); a request that a
 * client resends after a dropped connection (the JDK client, OkHttp and Reactor Netty do) reaches
 * the server under an id it no longer counts, and is answered 410. No client has a response
 * timeout of its own below the server's longest hang: the worker's patience stands in for it (see
 * {@code ChaosSoak.callReal}).
 *
 * <p>Thread-safe.
 */
abstract class RealClient {
  /** Each pool's own maximum per host: far above the soak's host limits. */
  static final int MAX_PER_POOL = 64;

  /**
   * How long a call waits for its slot: the soak's acquire timeout, so that the clients' own slot
   * timeouts fire well inside a worker's patience (the integrations' defaults are 30 s).
   */
  static final Duration ACQUIRE_TIMEOUT = ChaosSoak.ACQUIRE_TIMEOUT;

  /** What the server answered. */
  record Answer(int status, String retryAfter) {}

  /** One GET in flight; {@link #cancel} aborts it the client's way. */
  interface Call {
    CompletableFuture<Answer> answer();

    void cancel();
  }

  final RegulatedPool pool;

  RealClient(RegulatedPool pool) {
    this.pool = pool;
  }

  /** Sends one GET; a client that is shut down may throw or fail the answer. */
  abstract Call get(URI uri);

  /** Shuts the client down the way its users do; that closes {@link #pool}. */
  abstract void close() throws IOException;

  /** The wait for a connection, slot included, bounded like the slot wait. */
  private static org.apache.hc.client5.http.config.RequestConfig apache5Config() {
    return org.apache.hc.client5.http.config.RequestConfig.custom()
        .setConnectionRequestTimeout(
            org.apache.hc.core5.util.Timeout.of(ACQUIRE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        .build();
  }

  private static Call call(CompletableFuture<Answer> answer, Runnable cancel) {
    return new Call() {
      @Override
      public CompletableFuture<Answer> answer() {
        return answer;
      }

      @Override
      public void cancel() {
        cancel.run();
      }
    };
  }

  private static Call call(CompletableFuture<Answer> answer) {
    return call(answer, () -> answer.cancel(true));
  }

  /**
   * A JDK {@link RegulatedHttpClient} over {@code delegate}, which outlives it (on JDK 17 the JDK
   * client cannot be closed; from 21 on the soak would close it too).
   */
  static RealClient jdk(RegulatedPool pool, HttpClient delegate) {
    RegulatedHttpClient client =
        RegulatedHttpClient.builder(delegate, pool)
            .acquireTimeout(ACQUIRE_TIMEOUT)
            .closeDelegate(false)
            .build();
    return new RealClient(client.pool()) {
      @Override
      Call get(URI uri) {
        return call(client
            .sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
            .thenApply(response -> new Answer(
                response.statusCode(), response.headers().firstValue("Retry-After").orElse(null))));
      }

      @Override
      void close() {
        client.close();
      }
    };
  }

  /** HttpClient 5 classic on {@link RegulatedConnections}, each call on a caller thread. */
  static RealClient apacheClassic(RegulatedPool pool) {
    RegulatedConnections connections = RegulatedConnections.builder(
            PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnPerRoute(MAX_PER_POOL)
                .setMaxConnTotal(MAX_PER_POOL)
                .build(),
            pool)
        .acquireTimeout(ACQUIRE_TIMEOUT)
        .build();
    CloseableHttpClient client = HttpClients.custom()
        .setConnectionManager(connections)
        .setDefaultRequestConfig(apache5Config())
        .disableAutomaticRetries()
        .build();
    ExecutorService callers = Executors.newCachedThreadPool();
    return new RealClient(connections.pool()) {
      @Override
      Call get(URI uri) {
        HttpGet request = new HttpGet(uri);
        CompletableFuture<Answer> answer = CompletableFuture.supplyAsync(() -> {
          try {
            return client.execute(request, response -> {
              EntityUtils.consume(response.getEntity());
              Header retryAfter = response.getFirstHeader("Retry-After");
              return new Answer(response.getCode(), retryAfter == null ? null : retryAfter.getValue());
            });
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }, callers);
        return call(answer, () -> {
          request.cancel();
          answer.cancel(true);
        });
      }

      @Override
      void close() {
        client.close(CloseMode.IMMEDIATE);
        callers.shutdownNow();
      }
    };
  }

  /** HttpClient 5 async on {@link RegulatedAsyncConnections}. */
  static RealClient apacheAsync(RegulatedPool pool) {
    RegulatedAsyncConnections connections = RegulatedAsyncConnections.wrap(
        PoolingAsyncClientConnectionManagerBuilder.create()
            .setMaxConnPerRoute(MAX_PER_POOL)
            .setMaxConnTotal(MAX_PER_POOL)
            .build(),
        pool,
        ACQUIRE_TIMEOUT);
    CloseableHttpAsyncClient client = HttpAsyncClients.custom()
        .setConnectionManager(connections)
        .setDefaultRequestConfig(apache5Config())
        .disableAutomaticRetries()
        .build();
    client.start();
    return new RealClient(connections.pool()) {
      @Override
      Call get(URI uri) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        Future<SimpleHttpResponse> exchange = client.execute(
            SimpleRequestBuilder.get(uri).build(),
            new FutureCallback<SimpleHttpResponse>() {
              @Override
              public void completed(SimpleHttpResponse response) {
                Header retryAfter = response.getFirstHeader("Retry-After");
                answer.complete(new Answer(
                    response.getCode(), retryAfter == null ? null : retryAfter.getValue()));
              }

              @Override
              public void failed(Exception e) {
                answer.completeExceptionally(e);
              }

              @Override
              public void cancelled() {
                answer.cancel(false);
              }
            });
        return call(answer, () -> {
          exchange.cancel(true);
          answer.cancel(true);
        });
      }

      @Override
      void close() {
        client.close(CloseMode.IMMEDIATE);
      }
    };
  }

  /** HttpClient 4.5 on {@link io.regulator.httpclient4.RegulatedConnections}, on caller threads. */
  static RealClient apache4(RegulatedPool pool) {
    org.apache.http.impl.conn.PoolingHttpClientConnectionManager manager =
        new org.apache.http.impl.conn.PoolingHttpClientConnectionManager();
    manager.setMaxTotal(MAX_PER_POOL);
    manager.setDefaultMaxPerRoute(MAX_PER_POOL);
    io.regulator.httpclient4.RegulatedConnections connections =
        io.regulator.httpclient4.RegulatedConnections.builder(manager, pool)
            .acquireTimeout(ACQUIRE_TIMEOUT)
            .build();
    org.apache.http.impl.client.CloseableHttpClient client =
        org.apache.http.impl.client.HttpClients.custom()
            .setConnectionManager(connections)
            .setDefaultRequestConfig(org.apache.http.client.config.RequestConfig.custom()
                .setConnectionRequestTimeout((int) ACQUIRE_TIMEOUT.toMillis())
                .build())
            .disableAutomaticRetries()
            .build();
    ExecutorService callers = Executors.newCachedThreadPool();
    return new RealClient(connections.pool()) {
      @Override
      Call get(URI uri) {
        org.apache.http.client.methods.HttpGet request =
            new org.apache.http.client.methods.HttpGet(uri);
        CompletableFuture<Answer> answer = CompletableFuture.supplyAsync(() -> {
          try {
            return client.execute(request, response -> {
              org.apache.http.util.EntityUtils.consume(response.getEntity());
              org.apache.http.Header retryAfter = response.getFirstHeader("Retry-After");
              return new Answer(response.getStatusLine().getStatusCode(),
                  retryAfter == null ? null : retryAfter.getValue());
            });
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }, callers);
        return call(answer, () -> {
          request.abort();
          answer.cancel(true);
        });
      }

      @Override
      void close() throws IOException {
        client.close();
        callers.shutdownNow();
      }
    };
  }

  /** OkHttp through {@link RegulatedOkHttp#enqueue}, the response closed once read. */
  static RealClient okhttp(RegulatedPool pool) {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(MAX_PER_POOL);
    dispatcher.setMaxRequestsPerHost(MAX_PER_POOL);
    RegulatedOkHttp okhttp =
        RegulatedOkHttp.builder(new OkHttpClient.Builder().dispatcher(dispatcher), pool)
            .acquireTimeout(ACQUIRE_TIMEOUT)
            .build();
    return new RealClient(okhttp.pool()) {
      @Override
      Call get(URI uri) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        okhttp3.Call call = okhttp.client().newCall(new Request.Builder().url(uri.toString()).build());
        okhttp.enqueue(call, new okhttp3.Callback() {
          @Override
          public void onResponse(okhttp3.Call ignored, Response response) {
            try (response) {
              response.body().bytes();
              answer.complete(new Answer(response.code(), response.header("Retry-After")));
            } catch (IOException | RuntimeException e) {
              answer.completeExceptionally(e);
            }
          }

          @Override
          public void onFailure(okhttp3.Call ignored, IOException e) {
            answer.completeExceptionally(e);
          }
        });
        return call(answer, () -> {
          call.cancel();
          answer.cancel(true);
        });
      }

      @Override
      void close() {
        okhttp.close();
      }
    };
  }

  /**
   * Jetty 12 with {@link io.regulator.jetty.RegulatedPoolFactory} installed; stopping the client
   * closes the pool.
   */
  static RealClient jetty(RegulatedPool pool) {
    org.eclipse.jetty.client.HttpClient client = new org.eclipse.jetty.client.HttpClient();
    client.setMaxConnectionsPerDestination(MAX_PER_POOL);
    client.setMaxRequestsQueuedPerDestination(4 * MAX_PER_POOL);
    io.regulator.jetty.RegulatedPoolFactory.install(client, pool, ACQUIRE_TIMEOUT);
    try {
      client.start();
    } catch (Exception e) {
      throw new IllegalStateException("Jetty client did not start", e);
    }
    return new RealClient(pool) {
      @Override
      Call get(URI uri) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        org.eclipse.jetty.client.Request request = client.newRequest(uri);
        request.send(new org.eclipse.jetty.client.BufferingResponseListener() {
          @Override
          public void onComplete(org.eclipse.jetty.client.Result result) {
            if (result.isFailed()) {
              answer.completeExceptionally(result.getFailure());
            } else {
              answer.complete(new Answer(result.getResponse().getStatus(),
                  result.getResponse().getHeaders().get("Retry-After")));
            }
          }
        });
        return call(answer, () -> {
          request.abort(new CancellationException("the soak's worker gave up"));
          answer.cancel(true);
        });
      }

      @Override
      void close() throws IOException {
        try {
          client.stop();
        } catch (Exception e) {
          throw new IOException("Jetty client did not stop", e);
        }
      }
    };
  }

  /** Reactor Netty on a {@link RegulatedConnectionProvider}, disposed on close. */
  static RealClient reactorNetty(RegulatedPool pool) {
    RegulatedConnectionProvider provider = RegulatedConnectionProvider.builder(
            ConnectionProvider.builder(pool.name())
                .maxConnections(MAX_PER_POOL)
                .pendingAcquireMaxCount(-1)
                .build(),
            pool)
        .acquireTimeout(ACQUIRE_TIMEOUT)
        .build();
    reactor.netty.http.client.HttpClient client =
        reactor.netty.http.client.HttpClient.create(provider);
    return new RealClient(provider.pool()) {
      @Override
      Call get(URI uri) {
        // Cancelling the future cancels the subscription: the connection closes or goes back.
        return call(client.get().uri(uri)
            .responseSingle((response, body) -> body.asByteArray()
                .defaultIfEmpty(new byte[0])
                .map(ignored -> new Answer(
                    response.status().code(), response.responseHeaders().get("Retry-After"))))
            .toFuture());
      }

      @Override
      void close() {
        provider.disposeLater().block(Duration.ofSeconds(ChaosSoak.BOUND_SECONDS));
      }
    };
  }
}
