package io.regulator.spring.boot.autoconfigure;

import io.regulator.LastHostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Takes a slot of the request's host before the exchange runs and gives it back when the response is
 * closed (RestClient and RestTemplate close every response they read) or the exchange fails. Used for
 * the request factories that have no connection-level integration (the JDK's, the simple one, any
 * other), where the exchange is the closest thing to a connection in use.
 *
 * <p>Thread-safe.
 */
final class SlotInterceptor implements ClientHttpRequestInterceptor {

  private final RegulatedPool pool;
  /** The key of the last request's host: a client usually sends to one host again and again. */
  private final LastHostKey keys = new LastHostKey();

  SlotInterceptor(RegulatedPool pool) {
    this.pool = pool;
  }

  @Override
  public ClientHttpResponse intercept(
      HttpRequest request, byte[] body, ClientHttpRequestExecution execution) throws IOException {
    Slot slot;
    try {
      slot = pool.acquire(keys.of(request.getURI()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted =
          new InterruptedIOException("interrupted waiting for a slot of " + request.getURI());
      interrupted.initCause(e);
      throw interrupted;
    }
    try {
      return new SlotResponse(execution.execute(request, body), slot);
    } catch (IOException | RuntimeException | Error e) {
      slot.release();
      throw e;
    }
  }

  /** A response that gives its slot back when it is closed. */
  private static final class SlotResponse implements ClientHttpResponse {
    private final ClientHttpResponse delegate;
    private final Slot slot;

    SlotResponse(ClientHttpResponse delegate, Slot slot) {
      this.delegate = delegate;
      this.slot = slot;
    }

    @Override
    public HttpStatusCode getStatusCode() throws IOException {
      return delegate.getStatusCode();
    }

    @Override
    public String getStatusText() throws IOException {
      return delegate.getStatusText();
    }

    @Override
    public HttpHeaders getHeaders() {
      return delegate.getHeaders();
    }

    @Override
    public InputStream getBody() throws IOException {
      return delegate.getBody();
    }

    @Override
    public void close() {
      try {
        delegate.close();
      } finally {
        slot.release();
      }
    }
  }
}
