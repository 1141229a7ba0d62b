package io.regulator.okhttp;

import io.regulator.RegulatedPool;
import io.regulator.SlotLeak;
import io.regulator.http.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;

/**
 * An {@link OkHttpClient} on the regulator, and the close that OkHttp does not have. Each call of
 * {@link #client()} holds a slot of its host and port from before it goes to the network (ahead of
 * OkHttp's retries, cache and connect) until its response body is closed or read to its end, or the
 * call fails or is cancelled; sync ({@code execute}) and async ({@code enqueue}) alike. A body
 * dropped unclosed is found once it is garbage-collected: it is closed, its slot reclaimed and the
 * leak reported.
 *
 * <pre>{@code
 * try (RegulatedOkHttp okhttp = RegulatedOkHttp.builder(new OkHttpClient.Builder(), regulator.newPool("sdk"))
 *     .retryPolicy(RetryPolicy.defaults())
 *     .build()) {
 *   OkHttpClient client = okhttp.client();   // hand this to the SDK
 *   try (Response response = client.newCall(request).execute()) { ... }
 * }
 * }</pre>
 *
 * <p>{@link #close()} cancels the calls that hold slots, shuts the client down the way OkHttp
 * documents (its dispatcher's calls cancelled, its executor shut down, idle connections evicted)
 * when it owns the client, and then closes the pool, which gives back every slot still held.
 *
 * <p>Thread-safe.
 */
public final class RegulatedOkHttp implements AutoCloseable {
  private final OkHttpClient client;
  private final RegulatedPool pool;
  private final SlotInterceptor slots;
  private final boolean shutdownClient;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RegulatedOkHttp(OkHttpClient client, SlotInterceptor slots, boolean shutdownClient) {
    this.client = client;
    this.pool = slots.pool();
    this.slots = slots;
    this.shutdownClient = shutdownClient;
  }

  /**
   * A builder that adds the regulator's interceptors to {@code clientBuilder}, after any it has, and
   * builds it. The client is this handle's own: {@link #close()} shuts it down (see {@link
   * Builder#shutdownClientOnClose}). The handle owns {@code pool} and closes it.
   */
  public static Builder builder(OkHttpClient.Builder clientBuilder, RegulatedPool pool) {
    return new Builder(Objects.requireNonNull(clientBuilder, "clientBuilder"), pool, true);
  }

  /**
   * A builder of a client derived from {@code base} ({@code base.newBuilder()}): it shares base's
   * dispatcher and connection pool, so {@link #close()} cancels only the calls holding this pool's
   * slots and leaves those alone (unless {@link Builder#shutdownClientOnClose} says otherwise).
   */
  public static Builder builder(OkHttpClient base, RegulatedPool pool) {
    return new Builder(Objects.requireNonNull(base, "base").newBuilder(), pool, false);
  }

  /** The regulated client; derive others from it with {@code newBuilder()}, they share its slots. */
  public OkHttpClient client() {
    return client;
  }

  /** The pool this client's slots come from. */
  public RegulatedPool pool() {
    return pool;
  }

  /**
   * Enqueues {@code call}, a call of {@link #client()} (or of a client derived from it), taking its
   * slot first without any thread waiting: only once the slot is granted does the call go to
   * OkHttp's dispatcher. A plain {@code call.enqueue} waits for the slot on a dispatcher thread
   * instead, and meanwhile counts against the dispatcher's {@code maxRequests}. With this, raise the
   * dispatcher's {@code maxRequestsPerHost} to at least the host's limit, or granted calls queue in
   * the dispatcher holding slots that carry nothing. A call that gets no slot fails on the
   * dispatcher's executor with {@link SlotUnavailableException}; cancelling the call ends the wait
   * (at once on OkHttp 5; on OkHttp 4 when the slot comes, which then goes straight back).
   *
   * @throws IllegalStateException if the call was executed or enqueued already
   */
  public void enqueue(Call call, Callback callback) {
    Objects.requireNonNull(call, "call");
    Objects.requireNonNull(callback, "callback");
    slots.enqueue(call, callback, client.dispatcher().executorService());
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Cancels every call that holds a slot, shuts the client down if it is owned (cancels its
   * dispatcher's calls, shuts its executor down so later {@code enqueue}s fail, evicts its idle
   * connections), then closes the pool: every slot still held goes back at once, and calls still
   * waiting for one fail with {@link SlotUnavailableException}. Later calls fail the same way.
   * Idempotent. Does not close the client's {@code Cache}, which the application owns.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      slots.cancelAll();
      if (shutdownClient) {
        client.dispatcher().cancelAll();
        client.dispatcher().executorService().shutdown();
        client.connectionPool().evictAll();
      }
    } finally {
      pool.close();
    }
  }

  @Override
  public String toString() {
    return "RegulatedOkHttp{pool=" + pool.name() + ", closed=" + closed.get() + "}";
  }

  /** Builds a {@link RegulatedOkHttp}; validates each value as it is set. Not thread-safe. */
  public static final class Builder {
    private final OkHttpClient.Builder clientBuilder;
    private final RegulatedPool pool;
    private boolean shutdownClient;
    private RetryPolicy retry = RetryPolicy.none();
    private Duration acquireTimeout = Duration.ofSeconds(30);
    private boolean recordLeakOrigins;
    private Consumer<SlotLeak> leakListener = LeakWatch.logging();

    private Builder(OkHttpClient.Builder clientBuilder, RegulatedPool pool, boolean shutdownClient) {
      this.clientBuilder = clientBuilder;
      this.pool = Objects.requireNonNull(pool, "pool");
      this.shutdownClient = shutdownClient;
      for (Interceptor interceptor : clientBuilder.interceptors()) {
        if (interceptor instanceof SlotInterceptor) {
          throw new IllegalArgumentException("client is already regulated by pool '"
              + ((SlotInterceptor) interceptor).pool().name() + "'");
        }
      }
    }

    /**
     * When and how to retry: statuses, failures, backoff and {@code Retry-After}, each attempt on a
     * slot of its own, none held while waiting. Default {@link RetryPolicy#none()} (OkHttp's own
     * immediate retries still happen, within the call's slot).
     */
    public Builder retryPolicy(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /** How long a call waits for a slot of its host. Default 30 s, as the core's default. */
    public Builder acquireTimeout(Duration acquireTimeout) {
      Objects.requireNonNull(acquireTimeout, "acquireTimeout");
      if (acquireTimeout.isNegative()) {
        throw new IllegalArgumentException("acquireTimeout < 0: " + acquireTimeout);
      }
      this.acquireTimeout = acquireTimeout;
      return this;
    }

    /**
     * Whether {@link RegulatedOkHttp#close()} also shuts the client down: cancels every call of its
     * dispatcher, shuts the dispatcher's executor down, and evicts its idle connections. Default
     * true for {@link RegulatedOkHttp#builder(OkHttpClient.Builder, RegulatedPool)}, false for a
     * client derived from a base, whose dispatcher and connection pool are shared. Calls holding
     * slots are cancelled either way.
     */
    public Builder shutdownClientOnClose(boolean shutdownClient) {
      this.shutdownClient = shutdownClient;
      return this;
    }

    /** Whether to record where each slot was taken, for leak reports. Costs a stack trace per call. Default off. */
    public Builder recordLeakOrigins(boolean recordLeakOrigins) {
      this.recordLeakOrigins = recordLeakOrigins;
      return this;
    }

    /**
     * Hears of every leaked slot reclaimed, as a {@link SlotLeak} with {@code reclaimed() == true},
     * {@code age()} the time since the slot was taken and {@code acquisitionSite()} null unless
     * {@link #recordLeakOrigins} is on. Called on the cleaner thread; what it throws is logged and
     * ignored. Default: a warning on the {@code io.regulator.okhttp.leaks} logger.
     */
    public Builder leakListener(Consumer<SlotLeak> leakListener) {
      this.leakListener = Objects.requireNonNull(leakListener, "leakListener");
      return this;
    }

    /**
     * Adds the retry interceptor (if a policy retries) and the slot interceptor to the client
     * builder, last among its application interceptors, and builds the client.
     */
    public RegulatedOkHttp build() {
      SlotInterceptor slots = new SlotInterceptor(pool, acquireTimeout,
          new LeakWatch(recordLeakOrigins, leakListener, System::nanoTime));
      if (retry.maxAttempts() > 1) {
        clientBuilder.addInterceptor(new RetryPolicyInterceptor(retry));
      }
      clientBuilder.addInterceptor(slots);
      return new RegulatedOkHttp(clientBuilder.build(), slots, shutdownClient);
    }
  }
}
