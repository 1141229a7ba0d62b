package io.regulator.tests.clients;

import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.http.apache.RegulatedAsyncConnections;
import io.regulator.http.apache.RegulatedConnections;
import io.regulator.http.jdk.RegulatedHttpClient;
import io.regulator.jetty.RegulatedPoolFactory;
import io.regulator.okhttp.RegulatedOkHttp;
import io.regulator.reactor.netty.RegulatedConnectionProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import reactor.netty.resources.ConnectionProvider;

/**
 * Every kind of pool the project regulates, each a real client on its own {@link RegulatedPool}
 * with a per-pool maximum well above any host limit the tests set, so that only the regulator caps.
 */
enum PoolKind {
  JDK {
    @Override
    Client open(HostRegulator regulator, String name) {
      RegulatedHttpClient client =
          RegulatedHttpClient.builder(HttpClient.newHttpClient(), regulator.newPool(name)).build();
      return new Client(this, client.pool(), client::close) {
        @Override
        CompletableFuture<String> get(URI uri) {
          return client
              .sendAsync(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString())
              .thenApply(response -> response.body());
        }
      };
    }
  },

  APACHE_CLASSIC {
    @Override
    Client open(HostRegulator regulator, String name) {
      RegulatedConnections connections =
          RegulatedConnections.wrap(
              PoolingHttpClientConnectionManagerBuilder.create()
                  .setMaxConnPerRoute(MAX_PER_POOL)
                  .setMaxConnTotal(MAX_PER_POOL)
                  .build(),
              regulator.newPool(name));
      CloseableHttpClient client = HttpClients.custom().setConnectionManager(connections).build();
      ExecutorService callers = Executors.newCachedThreadPool();
      return new Client(
          this,
          connections.pool(),
          () -> {
            client.close(CloseMode.IMMEDIATE);
            callers.shutdownNow();
          }) {
        @Override
        CompletableFuture<String> get(URI uri) {
          return CompletableFuture.supplyAsync(
              () -> {
                try {
                  return client.execute(
                      new HttpGet(uri), response -> EntityUtils.toString(response.getEntity()));
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              callers);
        }
      };
    }
  },

  APACHE_ASYNC {
    @Override
    Client open(HostRegulator regulator, String name) {
      RegulatedAsyncConnections connections =
          RegulatedAsyncConnections.wrap(
              PoolingAsyncClientConnectionManagerBuilder.create()
                  .setMaxConnPerRoute(MAX_PER_POOL)
                  .setMaxConnTotal(MAX_PER_POOL)
                  .build(),
              regulator.newPool(name));
      CloseableHttpAsyncClient client =
          HttpAsyncClients.custom().setConnectionManager(connections).build();
      client.start();
      return new Client(this, connections.pool(), () -> client.close(CloseMode.IMMEDIATE)) {
        @Override
        CompletableFuture<String> get(URI uri) {
          CompletableFuture<String> result = new CompletableFuture<>();
          client.execute(
              SimpleRequestBuilder.get(uri).build(),
              new FutureCallback<SimpleHttpResponse>() {
                @Override
                public void completed(SimpleHttpResponse response) {
                  result.complete(response.getBodyText());
                }

                @Override
                public void failed(Exception e) {
                  result.completeExceptionally(e);
                }

                @Override
                public void cancelled() {
                  result.cancel(false);
                }
              });
          return result;
        }
      };
    }
  },

  APACHE_4 {
    @Override
    Client open(HostRegulator regulator, String name) {
      org.apache.http.impl.conn.PoolingHttpClientConnectionManager manager =
          new org.apache.http.impl.conn.PoolingHttpClientConnectionManager();
      manager.setMaxTotal(MAX_PER_POOL);
      manager.setDefaultMaxPerRoute(MAX_PER_POOL);
      io.regulator.httpclient4.RegulatedConnections connections =
          io.regulator.httpclient4.RegulatedConnections.wrap(manager, regulator.newPool(name));
      org.apache.http.impl.client.CloseableHttpClient client =
          org.apache.http.impl.client.HttpClients.custom().setConnectionManager(connections).build();
      ExecutorService callers = Executors.newCachedThreadPool();
      return new Client(
          this,
          connections.pool(),
          () -> {
            client.close();
            callers.shutdownNow();
          }) {
        @Override
        CompletableFuture<String> get(URI uri) {
          return CompletableFuture.supplyAsync(
              () -> {
                try {
                  return client.execute(
                      new org.apache.http.client.methods.HttpGet(uri),
                      response -> org.apache.http.util.EntityUtils.toString(response.getEntity()));
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              callers);
        }
      };
    }
  },

  REACTOR_NETTY {
    @Override
    Client open(HostRegulator regulator, String name) {
      RegulatedConnectionProvider provider =
          RegulatedConnectionProvider.wrap(
              ConnectionProvider.builder(name)
                  .maxConnections(MAX_PER_POOL)
                  .pendingAcquireMaxCount(-1)
                  .build(),
              regulator.newPool(name));
      reactor.netty.http.client.HttpClient client = reactor.netty.http.client.HttpClient.create(provider);
      return new Client(this, provider.pool(), () -> provider.disposeLater().block(Duration.ofSeconds(30))) {
        @Override
        CompletableFuture<String> get(URI uri) {
          return client.get().uri(uri).responseContent().aggregate().asString().toFuture();
        }
      };
    }
  },

  JETTY {
    @Override
    Client open(HostRegulator regulator, String name) {
      org.eclipse.jetty.client.HttpClient client = new org.eclipse.jetty.client.HttpClient();
      client.setMaxConnectionsPerDestination(MAX_PER_POOL);
      client.setMaxRequestsQueuedPerDestination(4 * MAX_PER_POOL);
      RegulatedPool pool = regulator.newPool(name);
      RegulatedPoolFactory.install(client, pool);
      try {
        client.start();
      } catch (Exception e) {
        throw new IllegalStateException("Jetty client did not start", e);
      }
      return new Client(
          this,
          pool,
          () -> {
            try {
              client.stop();
            } catch (Exception e) {
              throw new IOException("Jetty client did not stop", e);
            }
          }) {
        @Override
        CompletableFuture<String> get(URI uri) {
          CompletableFuture<String> result = new CompletableFuture<>();
          client
              .newRequest(uri)
              .send(
                  new org.eclipse.jetty.client.BufferingResponseListener() {
                    @Override
                    public void onComplete(org.eclipse.jetty.client.Result outcome) {
                      if (outcome.isFailed()) {
                        result.completeExceptionally(outcome.getFailure());
                      } else {
                        result.complete(getContentAsString());
                      }
                    }
                  });
          return result;
        }
      };
    }
  },

  OKHTTP {
    @Override
    Client open(HostRegulator regulator, String name) {
      Dispatcher dispatcher = new Dispatcher();
      dispatcher.setMaxRequests(MAX_PER_POOL);
      dispatcher.setMaxRequestsPerHost(MAX_PER_POOL);
      RegulatedOkHttp okhttp =
          RegulatedOkHttp.builder(
                  new OkHttpClient.Builder().dispatcher(dispatcher), regulator.newPool(name))
              .build();
      return new Client(this, okhttp.pool(), okhttp::close) {
        @Override
        CompletableFuture<String> get(URI uri) {
          CompletableFuture<String> result = new CompletableFuture<>();
          okhttp.enqueue(
              okhttp.client().newCall(new Request.Builder().url(uri.toString()).build()),
              new okhttp3.Callback() {
                @Override
                public void onResponse(okhttp3.Call call, Response response) {
                  try (response) {
                    result.complete(new String(response.body().bytes(), StandardCharsets.UTF_8));
                  } catch (IOException | RuntimeException e) {
                    result.completeExceptionally(e);
                  }
                }

                @Override
                public void onFailure(okhttp3.Call call, IOException e) {
                  result.completeExceptionally(e);
                }
              });
          return result;
        }
      };
    }
  };

  /** Each pool's own maximum per host: far above the host limits of the tests. */
  static final int MAX_PER_POOL = 64;

  /** A real client of this kind on a pool of its own, named {@code name}. */
  abstract Client open(HostRegulator regulator, String name);

  /** One client of one kind, its pool, and how it shuts down (which closes its pool). */
  abstract static class Client implements AutoCloseable {
    final PoolKind kind;
    final RegulatedPool pool;
    private final Shutdown shutdown;

    Client(PoolKind kind, RegulatedPool pool, Shutdown shutdown) {
      this.kind = kind;
      this.pool = pool;
      this.shutdown = shutdown;
    }

    /** One GET; completes with the body. */
    abstract CompletableFuture<String> get(URI uri);

    /** Shuts the client down the way its users do; its pool closes with it. */
    @Override
    public void close() throws IOException {
      shutdown.close();
      pool.close();
    }

    @Override
    public String toString() {
      return kind + " " + pool.name();
    }
  }

  /** How a client shuts down. */
  @FunctionalInterface
  interface Shutdown {
    void close() throws IOException;
  }
}
