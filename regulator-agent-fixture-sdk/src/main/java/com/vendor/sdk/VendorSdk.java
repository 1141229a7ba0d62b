package com.vendor.sdk;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
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
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;

/**
 * A stand-in for a vendor SDK: it builds one HTTP client of every kind for itself, each allowed
 * {@code maxPerPool} connections per host, and offers no way to hand it a client or a limit. It
 * knows nothing of the regulator.
 *
 * <p>Thread-safe.
 */
public final class VendorSdk implements AutoCloseable {
  /** The clients this SDK builds, by the name {@link #fanOut} takes. */
  public static final List<String> KINDS = List.of("jdk", "apache5", "apache5-async", "apache4", "okhttp", "jetty", "reactor");

  private final URI base;
  private final HttpClient jdk;
  private final CloseableHttpClient apache5;
  private final CloseableHttpAsyncClient apache5Async;
  private final org.apache.http.impl.client.CloseableHttpClient apache4;
  private final OkHttpClient okhttp;
  private final org.eclipse.jetty.client.HttpClient jetty;
  private final reactor.netty.resources.ConnectionProvider reactorProvider;
  private final reactor.netty.http.client.HttpClient reactorClient;
  private final ExecutorService callers = Executors.newCachedThreadPool();

  /** Builds the SDK's clients, each with {@code maxPerPool} connections per host. */
  public VendorSdk(URI base, int maxPerPool) {
    this.base = Objects.requireNonNull(base, "base");
    this.jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    this.apache5 = HttpClients.custom()
        .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
            .setMaxConnPerRoute(maxPerPool).setMaxConnTotal(maxPerPool).build())
        .build();
    this.apache5Async = HttpAsyncClients.custom()
        .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
            .setMaxConnPerRoute(maxPerPool).setMaxConnTotal(maxPerPool).build())
        .build();
    apache5Async.start();
    // HttpClient 4.5 with the pool its builder makes itself (the AWS SDK v2 way, roughly).
    this.apache4 = org.apache.http.impl.client.HttpClients.custom()
        .setMaxConnPerRoute(maxPerPool).setMaxConnTotal(maxPerPool).build();
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(Math.max(64, maxPerPool));
    dispatcher.setMaxRequestsPerHost(maxPerPool);
    this.okhttp = new OkHttpClient.Builder().dispatcher(dispatcher).build();
    this.reactorProvider = reactor.netty.resources.ConnectionProvider.builder("vendor-sdk")
        .maxConnections(maxPerPool).pendingAcquireMaxCount(-1).build();
    this.reactorClient = reactor.netty.http.client.HttpClient.create(reactorProvider);
    this.jetty = new org.eclipse.jetty.client.HttpClient();
    jetty.setMaxConnectionsPerDestination(maxPerPool);
    try {
      jetty.start();
    } catch (Exception e) {
      throw new IllegalStateException("starting the Jetty client failed", e);
    }
  }

  /** The class of the client {@code kind} this SDK holds; under the agent a regulated one for the JDK's. */
  public String clientClass(String kind) {
    switch (kind) {
      case "jdk": return jdk.getClass().getName();
      case "apache5": return apache5.getClass().getName();
      case "apache5-async": return apache5Async.getClass().getName();
      case "apache4": return apache4.getClass().getName();
      case "jetty": return jetty.getHttpClientTransport().getConnectionPoolFactory().getClass().getName();
      case "okhttp": return okhttp.getClass().getName() + okhttp.interceptors();
      case "reactor": return reactorProvider.getClass().getName();
      default: throw new IllegalArgumentException("kind: " + kind);
    }
  }

  /**
   * Sends {@code n} GETs of {@code path} at once through the client {@code kind} and waits for
   * all of them; returns their status codes.
   */
  public List<Integer> fanOut(String kind, int n, String path) throws Exception {
    URI uri = base.resolve(path);
    List<Future<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(send(kind, uri));
    }
    List<Integer> statuses = new ArrayList<>();
    for (Future<Integer> call : calls) {
      statuses.add(call.get(60, TimeUnit.SECONDS));
    }
    return statuses;
  }

  private Future<Integer> send(String kind, URI uri) {
    switch (kind) {
      case "jdk":
        return jdk.sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
            .thenApply(HttpResponse::statusCode);
      case "apache5":
        return callers.submit(() -> apache5.execute(new HttpGet(uri), response -> {
          EntityUtils.consume(response.getEntity());
          return response.getCode();
        }));
      case "apache5-async":
        Future<SimpleHttpResponse> sent = apache5Async.execute(SimpleRequestBuilder.get(uri).build(), null);
        return callers.submit(() -> sent.get().getCode());
      case "apache4":
        return callers.submit(() -> apache4.execute(new org.apache.http.client.methods.HttpGet(uri), response -> {
          org.apache.http.util.EntityUtils.consume(response.getEntity());
          return response.getStatusLine().getStatusCode();
        }));
      case "reactor":
        return reactorClient.get().uri(uri.toString())
            .responseSingle((response, body) -> body.asString().defaultIfEmpty("").map(ignored -> response.status().code()))
            .toFuture();
      case "jetty":
        return callers.submit(() -> jetty.newRequest(uri).send().getStatus());
      case "okhttp":
        CompletableFuture<Integer> done = new CompletableFuture<>();
        okhttp.newCall(new Request.Builder().url(uri.toString()).build()).enqueue(new Callback() {
          @Override
          public void onResponse(Call call, Response response) {
            try (response) {
              response.body().string();
              done.complete(response.code());
            } catch (IOException | RuntimeException e) {
              done.completeExceptionally(e);
            }
          }

          @Override
          public void onFailure(Call call, IOException e) {
            done.completeExceptionally(e);
          }
        });
        return done;
      default:
        throw new IllegalArgumentException("kind: " + kind);
    }
  }

  /** Closes every client the SDK built, the way each client's documentation says. */
  @Override
  public void close() throws IOException {
    callers.shutdownNow();
    apache5.close(CloseMode.GRACEFUL);
    apache5Async.close(CloseMode.GRACEFUL);
    apache4.close();
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IOException("stopping the Jetty client failed", e);
    }
    reactorProvider.disposeLater().block(java.time.Duration.ofSeconds(30));
    okhttp.dispatcher().executorService().shutdown();
    okhttp.connectionPool().evictAll();
    if (jdk instanceof AutoCloseable) {
      try {
        ((AutoCloseable) jdk).close();
      } catch (Exception e) {
        throw new IOException("closing the JDK client failed", e);
      }
    }
  }
}
