package io.regulator.okhttp;

import io.regulator.HostKey;
import io.regulator.LastHostKey;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorException;
import io.regulator.Slot;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The last application interceptor of a regulated client: takes a slot of the request's host and
 * port before the call goes on to OkHttp's retry, cache and connect steps, and hands it to the
 * response body, which gives it back when it is closed or read to its end; a call that fails gives
 * it back at once. Being last, it runs after every application interceptor of the user's, so one
 * that makes a call of its own (fetching a token, say) does so before this call holds a slot.
 *
 * <p>An enqueued call runs its interceptors on a dispatcher thread, so that thread waits for the
 * slot, as it waits for OkHttp's own connect; see {@code docs/okhttp.md} for why and what it costs.
 * {@link #enqueue} takes the slot before the dispatcher sees the call instead, and leaves it in
 * {@code granted} for the call's first pass through here.
 *
 * <p>Thread-safe.
 */
final class SlotInterceptor implements Interceptor {
  private final RegulatedPool pool;
  private final Duration acquireTimeout;
  private final LeakWatch leakWatch;
  /**
   * Slots granted to calls of {@link #enqueue} before OkHttp's dispatcher runs them; each entry is
   * taken by the call's first pass through {@link #intercept}, or given back by its callback.
   */
  private final ConcurrentHashMap<Call, Slot> granted = new ConcurrentHashMap<>();
  /** Every lease whose slot is held now; closing the client cancels their calls. */
  private final Set<Lease> active = ConcurrentHashMap.newKeySet();
  /** Set once by {@link #cancelAll()}; a lease taken after it is given back and its call failed. */
  private volatile boolean closing;
  /** The last host's key, reused while calls go to the same host and port (a client's usual case). */
  private final LastHostKey keys = new LastHostKey();

  SlotInterceptor(RegulatedPool pool, Duration acquireTimeout, LeakWatch leakWatch) {
    this.pool = pool;
    this.acquireTimeout = acquireTimeout;
    this.leakWatch = leakWatch;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Call call = chain.call();
    // The key first: if it fails, a slot granted by enqueue stays in the map for the callback.
    HostKey key = keyOf(request.url());
    Slot pregranted = granted.isEmpty() ? null : granted.remove(call);
    if (pregranted != null && (pregranted.isReleased() || !pregranted.key().equals(key))) {
      // Taken back by the pool's close, or an interceptor of the application's sent the call
      // elsewhere, whose host's slot is needed.
      pregranted.release();
      pregranted = null;
    }
    if (call.isCanceled()) {
      if (pregranted != null) {
        pregranted.release();
      }
      throw new IOException("Canceled");
    }
    long acquiredAt = leakWatch.now();
    Throwable site = leakWatch.acquisitionSite(key, pool.name(), describe(request));
    Lease lease = new Lease(pregranted != null ? pregranted : acquire(call, key), call, active);
    if (closing) {
      lease.release();
      throw new SlotUnavailableException(new PoolClosedException(pool.name()));
    }
    Response response;
    try {
      response = chain.proceed(request);
    } catch (IOException | RuntimeException | Error e) {
      lease.release();
      throw e;
    }
    return hold(response, lease, acquiredAt, site);
  }

  private Response hold(Response response, Lease lease, long acquiredAt, Throwable site) {
    ResponseBody body = response.body();
    // No body (OkHttp 4 allows null), a WebSocket's upgrade, or nothing to read: OkHttp has already
    // let go of the exchange, so the slot goes back now rather than when somebody closes the body.
    if (body == null || response.code() == 101 || body.contentLength() == 0) {
      lease.release();
      return response;
    }
    SlotBody held;
    try {
      held = new SlotBody(body, lease);
      lease.watchedBy(leakWatch.watch(held, new Reclaim(lease, body, leakWatch, acquiredAt, site)));
    } catch (RuntimeException | Error e) {
      lease.release();
      body.close();
      throw e;
    }
    return response.newBuilder().body(held).build();
  }

  private Slot acquire(Call call, HostKey key) throws IOException {
    CompletableFuture<Slot> granting;
    try {
      Optional<Slot> free = pool.tryAcquire(key);
      if (free.isPresent()) {
        return free.get();
      }
      granting = pool.acquireAsync(key, acquireTimeout);
    } catch (RegulatorException e) {
      throw new SlotUnavailableException(e);
    }
    CancelSignal.cancelOnCancel(call, granting);
    try {
      return granting.get();
    } catch (CancellationException e) {
      // Only the call's cancel cancels it; the regulator gives back a slot granted at that instant.
      throw new IOException("Canceled", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RegulatorException) {
        throw new SlotUnavailableException((RegulatorException) cause);
      }
      throw new IOException("waiting for a slot of " + key + " failed", cause);
    } catch (InterruptedException e) {
      if (!granting.cancel(false)) {
        // Granted as the interrupt came: ours to give back.
        granting.thenAccept(Slot::release);
      }
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a slot of " + key);
    }
  }

  /**
   * Takes a slot for {@code call} without a thread waiting, and only then enqueues it: a call
   * queued for a slot holds no dispatcher thread. {@code callbacks} runs the callback of a call
   * that got no slot (OkHttp runs the others on its dispatcher threads, as usual).
   */
  void enqueue(Call call, Callback callback, Executor callbacks) {
    if (call.isExecuted()) {
      throw new IllegalStateException("Already Executed");
    }
    HostKey key;
    CompletableFuture<Slot> granting;
    try {
      key = keyOf(call.request().url());
    } catch (IOException e) {
      fail(callbacks, call, callback, e);
      return;
    }
    try {
      // Asynchronous even when a slot is free (the future is then complete already): the slot is
      // used and given back on the dispatcher's threads, so it must not name this thread as its
      // holder. tryAcquire did, and this thread's next blocking acquire of the host, at a limit
      // of 1, was refused as a self-deadlock while the call still ran (the chaos soak found it).
      granting = pool.acquireAsync(key, acquireTimeout);
    } catch (RegulatorException e) {
      fail(callbacks, call, callback, new SlotUnavailableException(e));
      return;
    }
    if (!granting.isDone()) {
      CancelSignal.cancelOnCancel(call, granting);
    }
    granting.whenComplete((slot, failure) -> {
      if (failure != null) {
        fail(callbacks, call, callback, waitFailure(failure, key));
        return;
      }
      granted.put(call, slot);
      try {
        call.enqueue(new GrantedCallback(callback));
      } catch (RuntimeException | Error e) {
        giveBackGranted(call);
        fail(callbacks, call, callback, new IOException("enqueue failed: " + e, e));
      }
    });
  }

  private static void fail(Executor callbacks, Call call, Callback callback, IOException failure) {
    Runnable report = () -> callback.onFailure(call, failure);
    try {
      callbacks.execute(report);
    } catch (RejectedExecutionException shutDown) {
      report.run();
    }
  }

  private static IOException waitFailure(Throwable failure, HostKey key) {
    Throwable cause = (failure instanceof CompletionException && failure.getCause() != null)
        ? failure.getCause() : failure;
    if (cause instanceof CancellationException) {
      return new IOException("Canceled", cause);
    }
    if (cause instanceof RegulatorException) {
      return new SlotUnavailableException((RegulatorException) cause);
    }
    return new IOException("waiting for a slot of " + key + " failed", cause);
  }

  private void giveBackGranted(Call call) {
    Slot unused = granted.remove(call);
    if (unused != null) {
      unused.release();
    }
  }

  /**
   * Gives back a granted slot that no pass through the interceptor took: the call failed before
   * it (rejected by a shut-down dispatcher, cancelled), or an interceptor of the application's
   * answered it without going on.
   */
  private final class GrantedCallback implements Callback {
    private final Callback callback;

    GrantedCallback(Callback callback) {
      this.callback = callback;
    }

    @Override
    public void onFailure(Call call, IOException e) {
      giveBackGranted(call);
      callback.onFailure(call, e);
    }

    @Override
    public void onResponse(Call call, Response response) throws IOException {
      giveBackGranted(call);
      callback.onResponse(call, response);
    }
  }

  private HostKey keyOf(HttpUrl url) throws IOException {
    String host = url.host();
    int port = url.port();
    // OkHttp's host is canonical already (lowercase, punycode, IPv6 without brackets).
    try {
      return keys.of(host, port);
    } catch (IllegalArgumentException e) {
      // An IOException, not a crash of the dispatcher thread that runs an enqueued call.
      throw new IOException("no regulator key for " + url.scheme() + "://" + host + ":" + port
          + ": " + e.getMessage(), e);
    }
  }

  /** The request for a leak report: method and URL without its query, which may carry secrets. */
  private static String describe(Request request) {
    HttpUrl url = request.url();
    return request.method() + " " + url.scheme() + "://" + url.host() + ":" + url.port() + url.encodedPath();
  }

  /** Cancels every call that holds a slot now, and fails the calls that get one from now on. */
  void cancelAll() {
    closing = true;
    for (Lease lease : active) {
      lease.call().cancel();
    }
  }

  RegulatedPool pool() {
    return pool;
  }

  /**
   * Runs when a held body became unreachable unclosed. Closes the wrapped body, which gives OkHttp's
   * connection back (or drops it), then the slot, and reports the leak. Refers to the parts, never
   * to the {@link SlotBody}, or the body would never become unreachable.
   */
  private static final class Reclaim implements Runnable {
    private final Lease lease;
    private final ResponseBody inner;
    private final LeakWatch leakWatch;
    private final long acquiredAt;
    private final Throwable site;

    Reclaim(Lease lease, ResponseBody inner, LeakWatch leakWatch, long acquiredAt, Throwable site) {
      this.lease = lease;
      this.inner = inner;
      this.leakWatch = leakWatch;
      this.acquiredAt = acquiredAt;
      this.site = site;
    }

    @Override
    public void run() {
      Slot slot = lease.slot();
      if (slot.isReleased()) {
        lease.untrack();
        return;
      }
      try {
        inner.close();
      } catch (RuntimeException ignored) {
        // The client may be shut down already; the slot still has to come back.
      } finally {
        if (slot.release()) {
          leakWatch.report(slot, acquiredAt, site);
        }
        lease.untrack();
      }
    }
  }
}
