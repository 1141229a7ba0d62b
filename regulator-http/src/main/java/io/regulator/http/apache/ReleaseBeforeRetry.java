package io.regulator.http.apache;

import java.io.IOException;
import org.apache.hc.client5.http.async.AsyncExecCallback;
import org.apache.hc.client5.http.async.AsyncExecChain;
import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.util.TimeValue;

/**
 * Makes the async client give its connection back before a retry's backoff. HttpClient's async
 * retry keeps the retried exchange's connection leased through the wait, and with it the slot; so
 * a 429 burst would turn into slot timeouts for everyone else. Installed just before the retry
 * element, this hands the retry a scheduler that releases the (drained) connection first; the
 * next attempt leases one again, slot included.
 *
 * <p>Stateless and thread-safe.
 */
public final class ReleaseBeforeRetry implements AsyncExecChainHandler {
  /** The name of this element in the client's execution chain. */
  public static final String NAME = "regulator-release-before-retry";

  /** An element to add to a client's chain by hand; {@link #install} does it for you. */
  public ReleaseBeforeRetry() {}

  /**
   * Installs it in {@code builder}, before the retry element, and, first in the chain, an element
   * that gives the slot back once the final response has been received in full, before the
   * caller's future completes (without it the slot comes back just after, when HttpClient
   * releases the connection). Returns {@code builder}.
   */
  public static HttpAsyncClientBuilder install(HttpAsyncClientBuilder builder) {
    return builder.addExecInterceptorBefore(ChainElement.RETRY.name(), NAME, new ReleaseBeforeRetry())
        .addExecInterceptorFirst(ReleaseOnFinalResponse.NAME, new ReleaseOnFinalResponse());
  }

  @Override
  public void execute(
      HttpRequest request,
      AsyncEntityProducer entityProducer,
      AsyncExecChain.Scope scope,
      AsyncExecChain chain,
      AsyncExecCallback asyncExecCallback) throws HttpException, IOException {
    AsyncExecChain.Scope releasing = new AsyncExecChain.Scope(
        scope.exchangeId,
        scope.route,
        scope.originalRequest,
        scope.cancellableDependency,
        scope.clientContext,
        scope.execRuntime,
        (scope.scheduler == null) ? null : new ReleasingScheduler(scope.scheduler),
        scope.execCount);
    chain.proceed(request, entityProducer, releasing, asyncExecCallback);
  }

  /** Releases the scope's endpoint, then schedules the re-execution as the client would. */
  private static final class ReleasingScheduler implements AsyncExecChain.Scheduler {
    private final AsyncExecChain.Scheduler scheduler;

    ReleasingScheduler(AsyncExecChain.Scheduler scheduler) {
      this.scheduler = scheduler;
    }

    @Override
    public void scheduleExecution(
        HttpRequest request,
        AsyncEntityProducer entityProducer,
        AsyncExecChain.Scope scope,
        AsyncExecCallback asyncExecCallback,
        TimeValue delay) {
      release(scope);
      scheduler.scheduleExecution(request, entityProducer, scope, asyncExecCallback, delay);
    }

    @Override
    public void scheduleExecution(
        HttpRequest request,
        AsyncEntityProducer entityProducer,
        AsyncExecChain.Scope scope,
        AsyncExecChain chain,
        AsyncExecCallback asyncExecCallback,
        TimeValue delay) {
      release(scope);
      scheduler.scheduleExecution(request, entityProducer, scope, chain, asyncExecCallback, delay);
    }

    private static void release(AsyncExecChain.Scope scope) {
      // The retried response was drained to its end, so the connection is reusable if the
      // server kept it alive; releaseEndpoint discards it otherwise.
      if (scope.execRuntime.isEndpointAcquired()) {
        scope.execRuntime.releaseEndpoint();
      }
    }
  }
}
