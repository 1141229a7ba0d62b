package io.regulator.http.jdk;

import io.regulator.HostKey;
import io.regulator.LastHostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.http.RetryPolicy;
import io.regulator.http.Sleeper;
import io.regulator.http.internal.Checks;
import io.regulator.http.internal.Failures;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.PushPromiseHandler;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A JDK {@link HttpClient} whose exchanges hold a slot of their host: taken before the request is
 * sent, given back when the response body is fully received, fails, or is closed early. The JDK
 * client has no hooks into its connection pool, so the slot covers the exchange: exactly the time
 * a connection carries one.
 *
 * <p>Retries follow the {@link RetryPolicy}: a retried response's body is drained and its slot
 * given back before the wait, and the next attempt takes a slot again. A streaming body
 * ({@code BodyHandlers.ofInputStream()}) holds its slot until it is read to the end or closed. A
 * stream dropped unclosed holds its slot until the server or the pool's close ends it: the JDK
 * keeps every response reachable while its connection is open, so no garbage collection can tell
 * a dropped stream from a slow reader.
 *
 * <p>Closing this client closes the pool, giving back every slot it holds; on JDK 21 and later it
 * first closes the wrapped client, which waits for in-flight exchanges. WebSockets and HTTP/2
 * server pushes pass through unregulated.
 *
 * <p>Thread-safe.
 */
public final class RegulatedHttpClient extends HttpClient implements AutoCloseable {
  private final HttpClient delegate;
  private final RegulatedPool pool;
  private final RetryPolicy retry;
  private final Duration acquireTimeout;
  private final boolean closeDelegate;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** The key of the last request's host: a client usually sends to one host again and again. */
  private final LastHostKey keys = new LastHostKey();

  private RegulatedHttpClient(Builder builder) {
    this.delegate = builder.delegate;
    this.pool = builder.pool;
    this.retry = builder.retry;
    this.acquireTimeout = builder.acquireTimeout;
    this.closeDelegate = builder.closeDelegate;
  }

  /**
   * A builder of a client that sends through {@code delegate} and takes its slots from
   * {@code pool}; the client owns the pool from then on and closes it on {@link #close()}.
   */
  public static Builder builder(HttpClient delegate, RegulatedPool pool) {
    return new Builder(delegate, pool);
  }

  /** The pool this client's slots come from. */
  public RegulatedPool pool() {
    return pool;
  }

  /** The retry policy. */
  public RetryPolicy retryPolicy() {
    return retry;
  }

  /**
   * Sends {@code request}, holding a slot of its host until the body ends, retrying as the policy
   * says.
   *
   * @throws io.regulator.RegulatorException if no slot came: {@link io.regulator.SlotTimeoutException},
   *     {@link io.regulator.PoolClosedException} or {@link io.regulator.HostOverloadedException}
   */
  @Override
  public <T> HttpResponse<T> send(HttpRequest request, BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(handler, "handler");
    HostKey key = keys.of(request.uri());
    String method = request.method();
    for (int attempt = 1; ; attempt++) {
      Slot slot = pool.acquire(key, acquireTimeout);
      boolean mayRetry = retry.allowsAnotherAttempt(method, attempt);
      Exchange exchange = new Exchange(slot, mayRetry, retry);
      HttpResponse<T> response;
      try {
        response = delegate.send(request, exchange.handler(handler));
      } catch (IOException e) {
        exchange.failed(e);
        if (mayRetry && retry.retriesFailure(e)) {
          Sleeper.await(retry.sleeper(), retry.backoff(attempt));
          continue;
        }
        throw e;
      } catch (InterruptedException | RuntimeException | Error e) {
        exchange.failed(e);
        throw e;
      }
      if (!exchange.retrying()) {
        return response;
      }
      // Drained already; released again here so that no path can wait with the slot.
      exchange.release();
      Sleeper.await(retry.sleeper(), retryDelay(attempt, response));
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, BodyHandler<T> handler) {
    return sendAsync(request, handler, null);
  }

  /**
   * Sends {@code request} without blocking; see {@link #send}. The future fails with the
   * {@link io.regulator.RegulatorException} if no slot came. Cancelling it cancels the wait for a
   * slot, the backoff or the exchange in progress.
   */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, BodyHandler<T> handler, PushPromiseHandler<T> pushPromiseHandler) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(handler, "handler");
    AsyncSend<T> send = new AsyncSend<>(request, handler, pushPromiseHandler, keys.of(request.uri()));
    send.attempt(1);
    return send.result;
  }

  private Duration retryDelay(int attempt, HttpResponse<?> response) {
    return retry.delayAfterStatus(attempt, response.headers().firstValue("Retry-After").orElse(null));
  }

  /** The attempts of one asynchronous send; each step runs when the previous one completes. */
  private final class AsyncSend<T> {
    final HttpRequest request;
    final BodyHandler<T> handler;
    final PushPromiseHandler<T> push;
    final HostKey key;
    final CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
    /** The step in progress (slot wait, exchange or backoff), cancelled with the result. */
    final AtomicReference<Future<?>> current = new AtomicReference<>();

    AsyncSend(HttpRequest request, BodyHandler<T> handler, PushPromiseHandler<T> push, HostKey key) {
      this.request = request;
      this.handler = handler;
      this.push = push;
      this.key = key;
      result.whenComplete((response, failure) -> {
        if (result.isCancelled()) {
          Future<?> step = current.get();
          if (step != null) {
            step.cancel(true);
          }
        }
      });
    }

    /** Makes {@code step} the current one; cancels it if the caller already gave up. */
    private void track(Future<?> step) {
      current.set(step);
      if (result.isCancelled()) {
        step.cancel(true);
      }
    }

    void attempt(int attempt) {
      if (result.isDone()) {
        return;
      }
      CompletableFuture<Slot> acquiring;
      try {
        acquiring = pool.acquireAsync(key, acquireTimeout);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
      }
      track(acquiring);
      acquiring.whenComplete((slot, failure) -> {
        if (failure != null) {
          result.completeExceptionally(Failures.unwrap(failure));
        } else if (result.isDone()) {
          slot.release();
        } else {
          exchange(attempt, slot);
        }
      });
    }

    private void exchange(int attempt, Slot slot) {
      String method = request.method();
      boolean mayRetry = retry.allowsAnotherAttempt(method, attempt);
      Exchange exchange = new Exchange(slot, mayRetry, retry);
      CompletableFuture<HttpResponse<T>> sending;
      try {
        sending = (push == null)
            ? delegate.sendAsync(request, exchange.handler(handler))
            : delegate.sendAsync(request, exchange.handler(handler), push);
      } catch (RuntimeException | Error e) {
        exchange.failed(e);
        result.completeExceptionally(e);
        return;
      }
      track(sending);
      sending.whenComplete((response, error) -> {
        if (error != null) {
          exchange.failed(error);
          Throwable cause = Failures.unwrap(error);
          if (mayRetry && retry.retriesFailure(cause)) {
            pause(retry.backoff(attempt), attempt);
          } else {
            result.completeExceptionally(cause);
          }
        } else if (exchange.retrying()) {
          exchange.release();
          pause(retryDelay(attempt, response), attempt);
        } else {
          result.complete(response);
        }
      });
    }

    private void pause(Duration delay, int attempt) {
      CompletableFuture<Void> waiting = retry.sleeper().sleep(delay);
      track(waiting);
      waiting.whenComplete((ignored, failure) -> {
        if (failure != null) {
          result.completeExceptionally(Failures.unwrap(failure));
        } else {
          attempt(attempt + 1);
        }
      });
    }
  }

  /**
   * Closes the wrapped client where the JDK can (21 and later; it waits for in-flight exchanges),
   * then the pool, which gives back every slot still held. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      if (closeDelegate && delegate instanceof AutoCloseable) {
        ((AutoCloseable) delegate).close();
      }
    } catch (Exception e) {
      throw new IllegalStateException("closing the wrapped HttpClient failed", e);
    } finally {
      pool.close();
    }
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return delegate.authenticator();
  }

  @Override
  public Version version() {
    return delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return delegate.executor();
  }

  /** The wrapped client's WebSocket builder; WebSockets take no slot. */
  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return delegate.newWebSocketBuilder();
  }

  @Override
  public String toString() {
    return "RegulatedHttpClient{pool=" + pool.name() + ", delegate=" + delegate + "}";
  }

  /** Builds a {@link RegulatedHttpClient}; validates each value as it is set. Not thread-safe. */
  public static final class Builder {
    private final HttpClient delegate;
    private final RegulatedPool pool;
    private RetryPolicy retry = RetryPolicy.none();
    private Duration acquireTimeout = Duration.ofSeconds(30);
    private boolean closeDelegate = true;

    private Builder(HttpClient delegate, RegulatedPool pool) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
      this.pool = Objects.requireNonNull(pool, "pool");
      if (delegate instanceof RegulatedHttpClient) {
        throw new IllegalArgumentException("delegate is already regulated: " + delegate);
      }
    }

    /** When and how to retry. Default {@link RetryPolicy#none()}. */
    public Builder retryPolicy(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /** How long a request waits for a slot of its host. Default 30 s, as the core's default. */
    public Builder acquireTimeout(Duration acquireTimeout) {
      this.acquireTimeout = Checks.nonNegative(acquireTimeout, "acquireTimeout");
      return this;
    }

    /** Whether {@link RegulatedHttpClient#close()} also closes the wrapped client (JDK 21 and later). Default true. */
    public Builder closeDelegate(boolean closeDelegate) {
      this.closeDelegate = closeDelegate;
      return this;
    }

    /** Builds the client. */
    public RegulatedHttpClient build() {
      return new RegulatedHttpClient(this);
    }
  }
}
