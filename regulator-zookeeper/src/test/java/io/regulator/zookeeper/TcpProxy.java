package io.regulator.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP forwarder on 127.0.0.1 between one ZooKeeper client and its server, so that a test can
 * cut the node off the network ({@link #cut()}: connections reset, new ones refused) and let it
 * back ({@link #restore()}), while the server keeps running. Thread-safe.
 */
final class TcpProxy implements AutoCloseable {
  private final int upstreamPort;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final ReentrantLock lock = new ReentrantLock();
  private volatile ServerSocket listener;

  TcpProxy(int upstreamPort) throws IOException {
    this.upstreamPort = upstreamPort;
    ServerSocket first = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.port = first.getLocalPort();
    listen(first);
  }

  String connectString() {
    return "127.0.0.1:" + port;
  }

  /** Resets every connection and refuses new ones, as a partition or a dead node would. */
  void cut() throws IOException {
    lock.lock();
    try {
      ServerSocket current = listener;
      listener = null;
      if (current != null) {
        current.close();
      }
      for (Socket socket : sockets) {
        socket.close();
      }
      sockets.clear();
    } finally {
      lock.unlock();
    }
  }

  /** Accepts connections again on the same port. */
  void restore() throws IOException {
    lock.lock();
    try {
      if (listener != null) {
        return;
      }
      ServerSocket again = new ServerSocket();
      again.setReuseAddress(true);
      again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      listen(again);
    } finally {
      lock.unlock();
    }
  }

  private void listen(ServerSocket server) {
    listener = server;
    Thread acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
          sockets.add(client);
          sockets.add(upstream);
          pump(client, upstream);
          pump(upstream, client);
        } catch (IOException e) {
          // closed by cut(), or the upstream refused: the client sees a reset and retries
        }
      }
    }, "tcp-proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void pump(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[8192];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int read;
        while ((read = in.read(buffer)) >= 0) {
          out.write(buffer, 0, read);
          out.flush();
        }
      } catch (IOException e) {
        // the other side closed or cut() reset the connection
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "tcp-proxy-pump-" + port);
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    cut();
  }
}
