package io.regulator.demo;

import com.vendor.sdk.VendorSdk;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import java.net.URI;
import java.util.List;

/**
 * The forked JVM of the {@code agent} mode: the stand-in vendor SDK (which builds its own clients,
 * each allowing {@code 4 * n} connections) fans out {@code n} requests on every client against the
 * demo server. Prints one {@code key=value} line per fact. Usage: {@code AgentDemoSdk <port> <n>}.
 */
public final class AgentDemoSdk {
  private AgentDemoSdk() {}

  public static void main(String[] args) {
    try {
      int port = Integer.parseInt(args[0]);
      int n = Integer.parseInt(args[1]);
      HostKey key = HostKey.of("127.0.0.1", port);
      HostRegulator regulator = HostRegulators.nodeWide();  // the agent's
      System.out.println("limit=" + regulator.limit(key));
      try (VendorSdk sdk = new VendorSdk(URI.create("http://127.0.0.1:" + port + "/"), n * 4)) {
        for (String kind : VendorSdk.KINDS) {
          System.out.println("running=" + kind);
          List<Integer> statuses = sdk.fanOut(kind, n, "/" + kind);
          System.out.println("ok." + kind + "=" + statuses.stream().allMatch(s -> s == 200));
        }
        System.out.println("inUseBeforeClose=" + regulator.inUse(key));
      }
      System.out.println("inUseAfterClose=" + regulator.inUse(key));
      System.exit(0);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(3);
    }
  }
}
