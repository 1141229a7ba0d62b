package io.regulator.spring.boot.autoconfigure;

import io.regulator.HostKey;
import io.regulator.LastHostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.http.client.reactive.ClientHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A WebClient connector that takes a slot of the request's host with {@code acquireAsync} (no
 * thread waits, an event loop least of all) before the exchange, and gives it back when the response
 * body completes, fails or is cancelled, or when the exchange fails or its subscriber cancels.
 *
 * <p>Thread-safe.
 */
final class RegulatedClientHttpConnector implements ClientHttpConnector {

  private final ClientHttpConnector delegate;
  private final RegulatedPool pool;
  private final Duration timeout;
  /** The key of the last exchange's host: a client usually sends to one host again and again. */
  private final LastHostKey keys = new LastHostKey();

  RegulatedClientHttpConnector(ClientHttpConnector delegate, RegulatedPool pool, Duration timeout) {
    this.delegate = delegate;
    this.pool = pool;
    this.timeout = timeout;
  }

  ClientHttpConnector delegate() {
    return delegate;
  }

  @Override
  public Mono<ClientHttpResponse> connect(
      HttpMethod method, URI uri, Function<? super ClientHttpRequest, Mono<Void>> requestCallback) {
    return slot(uri)
        .flatMap(
            slot ->
                delegate
                    .connect(method, uri, requestCallback)
                    .<ClientHttpResponse>map(response -> new SlotResponse(response, slot))
                    .switchIfEmpty(Mono.fromRunnable(slot::release))
                    .doOnError(e -> slot.release())
                    .doOnCancel(slot::release));
  }

  /**
   * A slot of the URI's host. A cancel that comes while the slot is still being granted either
   * cancels the wait or, when the grant won the race, gives the granted slot straight back.
   */
  private Mono<Slot> slot(URI uri) {
    return Mono.create(
        sink -> {
          HostKey key = keys.of(uri);
          CompletableFuture<Slot> future = pool.acquireAsync(key, timeout);
          AtomicBoolean settled = new AtomicBoolean();
          sink.onCancel(
              () -> {
                if (settled.compareAndSet(false, true) && !future.cancel(false)) {
                  future.thenAccept(Slot::release);
                }
              });
          future.whenComplete(
              (slot, failure) -> {
                if (failure != null) {
                  if (settled.compareAndSet(false, true)) {
                    sink.error(unwrap(failure));
                  }
                } else if (settled.compareAndSet(false, true)) {
                  sink.success(slot);
                } else {
                  slot.release();
                }
              });
        });
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure instanceof CancellationException ? failure : failure;
  }

  /** A response whose slot goes back when its body ends, however it ends. */
  private static final class SlotResponse extends ClientHttpResponseDecorator {
    private final Slot slot;

    SlotResponse(ClientHttpResponse delegate, Slot slot) {
      super(delegate);
      this.slot = slot;
    }

    @Override
    public Flux<DataBuffer> getBody() {
      return super.getBody().doFinally(signal -> slot.release());
    }
  }
}
