package io.regulator.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is optional in the fleet tier as in core: a fleet regulator built without a registry,
 * run through acquire, tryAcquire, acquireAsync and close inside a class loader that records every
 * class it is asked for, loads no Micrometer class and not the fleet's Micrometer observer.
 */
class FleetMicrometerAbsenceTest {
  private static final String CONNECT = "fleet.absence.connect";

  /** A class loader that writes down the name of every class it is asked for. */
  private static final class RecordingLoader extends URLClassLoader {
    final Set<String> requested = ConcurrentHashMap.newKeySet();

    RecordingLoader(List<URL> classPath) {
      super("isolated", classPath.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      requested.add(name);
      return super.loadClass(name, resolve);
    }
  }

  @Test
  void withoutARegistry_noMicrometerClassIsEverLoaded() throws Exception {
    String path = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : path.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    try (TestingServer server = ZooKeeperSupport.server();
        RecordingLoader loader = new RecordingLoader(urls)) {
      System.setProperty(CONNECT, server.getConnectString());
      Class<?> isolated = Class.forName(Workload.class.getName(), true, loader);
      @SuppressWarnings("unchecked")
      Callable<String> workload = (Callable<String>) isolated.getDeclaredConstructor().newInstance();
      assertEquals("ok", workload.call());
      assertTrue(loader.requested.contains("io.regulator.zookeeper.internal.LeasedHostRegulator"),
          "the recorder sees the regulator's classes");
      assertEquals(List.of(), loader.requested.stream()
          .filter(name -> name.startsWith("io.micrometer.") || name.contains("MicrometerFleet"))
          .sorted().toList());
    } finally {
      System.clearProperty(CONNECT);
    }
  }

  /** Runs inside the recording loader: every public path of a fleet regulator, no registry. */
  public static final class Workload implements Callable<String> {
    @Override
    public String call() throws Exception {
      HostKey key = HostKey.of("partner.example", 443);
      try (CuratorFramework client = ZooKeeperSupport.client(System.getProperty(CONNECT))) {
        FleetHostRegulator regulator = FleetHostRegulators.builder(client)
            .local(ZooKeeperSupport.local(2))
            .path(ZooKeeperSupport.freshPath())
            .defaultFleetLimit(2)
            .build();
        try (regulator) {
          RegulatedPool pool = regulator.newPool("absent-meters");
          pool.acquire(key).release();
          pool.tryAcquire(key).orElseThrow().release();
          pool.acquireAsync(key, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS).release();
          regulator.snapshot();
          regulator.stats();
          pool.close();
        }
      }
      return "ok";
    }
  }
}
