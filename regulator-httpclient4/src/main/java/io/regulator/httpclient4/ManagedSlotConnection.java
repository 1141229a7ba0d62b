package io.regulator.httpclient4;

import io.regulator.Slot;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.ssl.SSLSession;
import org.apache.http.conn.ManagedHttpClientConnection;

/**
 * A {@link SlotConnection} over a {@link ManagedHttpClientConnection}, which is what HttpClient's
 * own managers lease: code that reads the socket or the TLS session off the connection (HttpClient's
 * {@code DefaultUserTokenHandler} does) still finds them.
 *
 * <p>Thread-safe as far as the wrapped connection is.
 */
final class ManagedSlotConnection extends SlotConnection implements ManagedHttpClientConnection {
  private final ManagedHttpClientConnection managed;

  ManagedSlotConnection(ManagedHttpClientConnection inner, Slot slot, RegulatedConnections connections,
      long acquiredAt, Throwable site) {
    super(inner, slot, connections, acquiredAt, site);
    this.managed = inner;
  }

  @Override
  public String getId() {
    return managed.getId();
  }

  @Override
  public void bind(Socket socket) throws IOException {
    managed.bind(socket);
  }

  @Override
  public Socket getSocket() {
    return managed.getSocket();
  }

  @Override
  public SSLSession getSSLSession() {
    return managed.getSSLSession();
  }

  @Override
  public InetAddress getLocalAddress() {
    return managed.getLocalAddress();
  }

  @Override
  public int getLocalPort() {
    return managed.getLocalPort();
  }

  @Override
  public InetAddress getRemoteAddress() {
    return managed.getRemoteAddress();
  }

  @Override
  public int getRemotePort() {
    return managed.getRemotePort();
  }
}
