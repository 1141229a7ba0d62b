package io.regulator.okhttp;

import io.regulator.http.RetryPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import okhttp3.Call;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Retries a call as a {@link RetryPolicy} says, never holding a slot while it waits. It sits just
 * before the {@link SlotInterceptor}, so every attempt takes a slot of its own: a retried
 * response is closed (which gives its slot back, and its connection to OkHttp's pool) before the
 * backoff begins, and a failed attempt has given its slot back before this sees the failure.
 *
 * <p>The wait happens in the policy's {@code Sleeper}, on the calling thread (a dispatcher thread for
 * an enqueued call), and ends early when the call is cancelled (OkHttp 5). A request whose body
 * can be sent once only (one-shot or duplex) is not retried; nor is a cancelled call or a
 * {@link SlotUnavailableException}.
 *
 * <p>Thread-safe: immutable.
 */
final class RetryPolicyInterceptor implements Interceptor {
  private final RetryPolicy retry;

  RetryPolicyInterceptor(RetryPolicy retry) {
    this.retry = retry;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Call call = chain.call();
    RequestBody body = request.body();
    boolean replayable = body == null || !(body.isOneShot() || body.isDuplex());
    for (int attempt = 1; ; attempt++) {
      boolean mayRetry = replayable && retry.allowsAnotherAttempt(request.method(), attempt);
      Response response;
      try {
        response = chain.proceed(request);
      } catch (IOException e) {
        if (mayRetry && !(e instanceof SlotUnavailableException) && !call.isCanceled()
            && retry.retriesFailure(e)) {
          pause(call, retry.backoff(attempt));
          continue;
        }
        throw e;
      }
      if (!mayRetry || !retry.retriesStatus(response.code())) {
        return response;
      }
      Duration delay = retry.delayAfterStatus(attempt, response.header("Retry-After"));
      // Gives the slot back, and lets OkHttp keep the connection if the rest of the body is short.
      response.close();
      pause(call, delay);
    }
  }

  private void pause(Call call, Duration delay) throws IOException {
    CompletableFuture<Void> waiting = retry.sleeper().sleep(delay);
    CancelSignal.cancelOnCancel(call, waiting);
    try {
      waiting.get();
    } catch (CancellationException e) {
      throw new IOException("Canceled", e);
    } catch (ExecutionException e) {
      throw new IOException("the retry's backoff failed", e.getCause());
    } catch (InterruptedException e) {
      waiting.cancel(false);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted in a retry's backoff");
    }
    if (call.isCanceled()) {
      throw new IOException("Canceled");
    }
  }
}
