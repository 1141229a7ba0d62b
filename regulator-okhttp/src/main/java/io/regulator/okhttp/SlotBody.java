package io.regulator.okhttp;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;

/**
 * A response body that gives its call's slot back when it is closed, read to its end, or fails:
 * exactly when OkHttp gives the connection back to its pool (or drops it). Its source refers to the
 * body, so a caller still reading a stream keeps the body, and its slot, from being reclaimed.
 *
 * <p>As thread-safe as the wrapped body (OkHttp's is not: one reader at a time).
 */
final class SlotBody extends ResponseBody {
  private final ResponseBody inner;
  private final Lease lease;
  private final BufferedSource source;

  SlotBody(ResponseBody inner, Lease lease) {
    this.inner = inner;
    this.lease = lease;
    this.source = Okio.buffer(new ReleasingSource(inner.source()));
  }

  @Override
  public MediaType contentType() {
    return inner.contentType();
  }

  @Override
  public long contentLength() {
    return inner.contentLength();
  }

  @Override
  public BufferedSource source() {
    return source;
  }

  /** Not static: it keeps the body reachable for as long as someone reads it. */
  private final class ReleasingSource extends ForwardingSource {
    ReleasingSource(BufferedSource delegate) {
      super(delegate);
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      long read;
      try {
        read = super.read(sink, byteCount);
      } catch (IOException | RuntimeException | Error e) {
        lease.release();
        throw e;
      }
      if (read == -1) {
        lease.release();
      }
      return read;
    }

    @Override
    public void close() throws IOException {
      try {
        super.close();
      } finally {
        lease.release();
      }
    }
  }
}
