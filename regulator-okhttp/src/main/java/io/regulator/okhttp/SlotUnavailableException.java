package io.regulator.okhttp;

import io.regulator.RegulatorException;
import java.io.IOException;

/**
 * A call got no slot of its host: its cause is the regulator's {@link
 * io.regulator.SlotTimeoutException}, {@link io.regulator.PoolClosedException} or {@link
 * io.regulator.HostOverloadedException}. An {@link IOException}, because that is what OkHttp lets an
 * interceptor throw: {@code execute()} throws it, and an enqueued call's {@code onFailure} gets it.
 * The retry interceptor never retries it. Immutable and thread-safe.
 */
public final class SlotUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Wraps {@code cause}, taking its message. */
  public SlotUnavailableException(RegulatorException cause) {
    super(cause.getMessage(), cause);
  }

  /** The regulator's reason: timeout, closed pool or full waiter queue. */
  @Override
  public RegulatorException getCause() {
    return (RegulatorException) super.getCause();
  }
}
