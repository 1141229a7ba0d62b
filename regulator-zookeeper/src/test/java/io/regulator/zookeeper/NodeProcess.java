package io.regulator.zookeeper;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;

/**
 * One fleet node in a JVM of its own, for {@link FleetProcessesTest}: {@code threads} callers each
 * loop on "take a fleet slot, send one request to the counting server, give the slot back" until
 * a {@code stop} line (or the end of stdin), then close everything and print {@code stopped <n>}.
 *
 * <p>Arguments: connect string, fleet path, server port, node id, threads, session timeout in ms,
 * fleet limit, and {@code regulated} or {@code unregulated} (the control: no slot at all).
 */
public final class NodeProcess {
  private NodeProcess() {}

  /** The one host every node calls: the counting server. */
  static HostKey host(int port) {
    return HostKey.of("127.0.0.1", port);
  }

  public static void main(String[] args) throws Exception {
    String connectString = args[0];
    String path = args[1];
    int port = Integer.parseInt(args[2]);
    String nodeId = args[3];
    int threads = Integer.parseInt(args[4]);
    int sessionTimeoutMs = Integer.parseInt(args[5]);
    int fleetLimit = Integer.parseInt(args[6]);
    boolean regulated = args[7].equals("regulated");
    HostKey host = host(port);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    // The control needs no ZooKeeper: it takes no slot.
    CuratorFramework client =
        regulated ? ZooKeeperSupport.client(connectString, sessionTimeoutMs) : null;
    FleetHostRegulator regulator = regulated
        ? FleetHostRegulators.builder(client)
            .local(ZooKeeperSupport.local(threads))
            .path(path)
            .nodeId(nodeId)
            .defaultFleetLimit(fleetLimit)
            .build()
        : null;
    RegulatedPool pool = regulated ? regulator.newPool(nodeId + "-pool") : null;
    byte[] request = ("GET /" + nodeId + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    AtomicLong done = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread caller = new Thread(() -> {
        Socket connection = null;
        while (!Thread.currentThread().isInterrupted()) {
          try {
            Slot slot = regulated ? pool.acquire(host) : null;
            try {
              if (connection == null) {
                connection = new Socket(InetAddress.getLoopbackAddress(), port);
              }
              connection.getOutputStream().write(request);
              readResponse(connection.getInputStream());
              done.incrementAndGet();
            } finally {
              if (slot != null) {
                slot.release();
              }
            }
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            e.printStackTrace(); // goes to the test's log; the caller goes on
            connection = null;
          }
        }
      }, nodeId + "-caller-" + i);
      callers.add(caller);
      caller.start();
    }
    out.println("ready");

    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null && !line.equals("stop"); line = in.readLine()) {
      // only "stop" means anything
    }
    for (Thread caller : callers) {
      caller.interrupt();
    }
    for (Thread caller : callers) {
      caller.join();
    }
    if (regulated) {
      pool.close();
      regulator.close();
      client.close();
    }
    out.println("stopped " + done.get());
  }

  /** Reads one response of the counting server: a head, then Content-Length bytes. */
  private static void readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (head.length() < 4 || head.lastIndexOf("\r\n\r\n") != head.length() - 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the server closed the connection");
      }
      head.append((char) b);
    }
    int at = head.indexOf("Content-Length: ") + "Content-Length: ".length();
    int length = Integer.parseInt(head.substring(at, head.indexOf("\r\n", at)));
    if (in.readNBytes(length).length != length) {
      throw new IOException("short body");
    }
  }
}
