package io.regulator.jetty;

import io.regulator.HostKey;
import io.regulator.SlotLeak;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;

/**
 * An {@link InputStreamResponseListener} whose stream, if dropped without {@code close()}, is
 * reclaimed: once the stream is garbage-collected, the response is aborted, so its connection
 * closes and its slot goes back to the host, and the leak is reported as a {@link SlotLeak} with
 * {@code reclaimed() == true}. A plain listener's dropped stream keeps its exchange, connection and
 * slot until the client's idle timeout closes the connection (never, with no idle timeout).
 *
 * <p>The report's {@code age} runs from this listener's creation (just before the request is sent,
 * which is when its slot is taken, or soon after); its {@code acquisitionSite}, when recorded, shows
 * where this listener was created (its own frames cut, so the first is the caller's). One listener
 * per request, and one {@link #getInputStream()} call, as for the listener it extends. Thread-safe.
 */
public final class ReclaimingInputStreamListener extends InputStreamResponseListener {
  private static final System.Logger LOG = System.getLogger("io.regulator.jetty.leaks");
  /** One daemon thread for the module: leaks are rare and their cleanup quick. */
  private static final Cleaner CLEANER = Cleaner.create();

  private final String poolName;
  private final Consumer<SlotLeak> onLeak;
  private final long createdNanos = System.nanoTime();
  private final Throwable site;
  /** Set from Jetty's thread on the response head, read by the cleaner. */
  private volatile Response response;

  /** Reclaims under {@code factory}'s pool name, logs each leak, records no site. */
  public ReclaimingInputStreamListener(RegulatedPoolFactory factory) {
    this(factory, logging(), false);
  }

  /**
   * Reclaims under {@code factory}'s pool name and reports each leak to {@code onLeak} (on the
   * cleaner thread; whatever it throws is logged), with the creation site if {@code recordSite}
   * (a stack trace per request).
   */
  public ReclaimingInputStreamListener(RegulatedPoolFactory factory, Consumer<SlotLeak> onLeak, boolean recordSite) {
    this.poolName = Objects.requireNonNull(factory, "factory").pool().name();
    this.onLeak = Objects.requireNonNull(onLeak, "onLeak");
    this.site = recordSite ? creationSite() : null;
  }

  /** Logs a leak as a warning on {@code io.regulator.jetty.leaks}, with its site as the throwable. */
  public static Consumer<SlotLeak> logging() {
    return leak -> LOG.log(System.Logger.Level.WARNING, leak.toString(), leak.acquisitionSite());
  }

  @Override
  public void onHeaders(Response response) {
    this.response = response;
    super.onHeaders(response);
  }

  /** The body stream, watched: close it, or it is reclaimed (and reported) once unreachable. */
  @Override
  public InputStream getInputStream() {
    InputStream body = super.getInputStream();
    Reclaim reclaim = new Reclaim(this, body);
    Watched watched = new Watched(body, reclaim);
    watched.cleanable = CLEANER.register(watched, reclaim);
    return watched;
  }

  private void reclaim(InputStream body) {
    Response dropped = response;
    if (dropped == null) {
      closeQuietly(body);
      return;
    }
    HostKey key = HostKey.of(dropped.getRequest().getURI());
    Duration age = Duration.ofNanos(System.nanoTime() - createdNanos);
    dropped.abort(new IOException("response body of " + key + " dropped without close()"))
        .whenComplete((aborted, failure) -> {
          closeQuietly(body);
          if (Boolean.TRUE.equals(aborted)) {
            try {
              onLeak.accept(new SlotLeak(key, poolName, age, true, site));
            } catch (RuntimeException e) {
              LOG.log(System.Logger.Level.WARNING, "leak listener failed; the slot is back regardless", e);
            }
          }
        });
  }

  private static void closeQuietly(InputStream body) {
    try {
      body.close();
    } catch (IOException ignored) {
      // the exchange is over either way
    }
  }

  private static Throwable creationSite() {
    Throwable site = new Throwable("response listener created here");
    StackTraceElement[] frames = site.getStackTrace();
    int first = 0;
    String self = ReclaimingInputStreamListener.class.getName();
    while (first < frames.length && frames[first].getClassName().equals(self)) {
      first++;
    }
    site.setStackTrace(Arrays.copyOfRange(frames, first, frames.length));
    return site;
  }

  /** The caller's stream; closing it disarms the cleaner. */
  private static final class Watched extends FilterInputStream {
    private final Reclaim reclaim;
    private Cleaner.Cleanable cleanable;

    Watched(InputStream body, Reclaim reclaim) {
      super(body);
      this.reclaim = reclaim;
    }

    @Override
    public void close() throws IOException {
      reclaim.closed = true;
      try {
        super.close();
      } finally {
        cleanable.clean();
      }
    }
  }

  /** Refers to the listener and the inner stream, never to the watched stream. */
  private static final class Reclaim implements Runnable {
    private final ReclaimingInputStreamListener listener;
    private final InputStream body;
    /** Set when the caller closed the stream: then there is nothing to reclaim. */
    private volatile boolean closed;

    Reclaim(ReclaimingInputStreamListener listener, InputStream body) {
      this.listener = listener;
      this.body = body;
    }

    @Override
    public void run() {
      if (!closed) {
        listener.reclaim(body);
      }
    }
  }
}
