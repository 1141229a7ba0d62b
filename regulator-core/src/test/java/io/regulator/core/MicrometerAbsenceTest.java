package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import io.regulator.RegulatedPool;
import io.regulator.RegulatorListener;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is optional at run time: without a registry, not one Micrometer class is loaded, and
 * the regulator runs with no Micrometer jar at all. Each test runs a workload inside a fresh class
 * loader whose parent is the platform loader, so every class of the regulator, its dependencies
 * and the workload is loaded (and recorded) there.
 */
class MicrometerAbsenceTest {
  private static final String OBSERVER = "io.regulator.core.internal.MicrometerObserver";

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

  private static List<URL> classPath(boolean withMicrometer) throws MalformedURLException {
    // Surefire may start the test JVM through a manifest-only jar; it passes the real path here.
    String path = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : path.split(File.pathSeparator)) {
      boolean micrometer = entry.contains("micrometer") || entry.contains("HdrHistogram")
          || entry.contains("LatencyUtils");
      if (!entry.isEmpty() && (withMicrometer || !micrometer)) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    return urls;
  }

  private static String run(RecordingLoader loader, Class<?> workload) throws Exception {
    Class<?> isolated = Class.forName(workload.getName(), true, loader);
    assertTrue(isolated.getClassLoader() == loader, "the workload runs inside the loader");
    @SuppressWarnings("unchecked")
    Callable<String> call = (Callable<String>) isolated.getDeclaredConstructor().newInstance();
    return call.call();
  }

  @Test
  void withoutARegistry_noMicrometerClassIsEverLoaded() throws Exception {
    try (RecordingLoader loader = new RecordingLoader(classPath(true))) {
      assertEquals("ok", run(loader, EverythingButMeters.class));
      assertTrue(loader.requested.contains("io.regulator.core.internal.SemaphoreRegistry"),
          "the recorder sees the regulator's classes");
      List<String> micrometer = loader.requested.stream()
          .filter(name -> name.startsWith("io.micrometer.") || name.equals(OBSERVER))
          .sorted().toList();
      assertEquals(List.of(), micrometer);
    }
  }

  @Test
  void withoutMicrometerOnTheClassPath_theRegulatorRuns() throws Exception {
    try (RecordingLoader loader = new RecordingLoader(classPath(false))) {
      assertThrows(ClassNotFoundException.class,
          () -> loader.loadClass("io.micrometer.core.instrument.MeterRegistry"));
      assertEquals("ok", run(loader, EverythingButMeters.class));
    }
  }

  @Test
  void withARegistry_micrometerIsLoaded() throws Exception {
    // The control: the recorder does see Micrometer when a registry is configured.
    try (RecordingLoader loader = new RecordingLoader(classPath(true))) {
      assertEquals("ok", run(loader, WithMeters.class));
      assertTrue(loader.requested.contains(OBSERVER));
      assertTrue(loader.requested.contains("io.micrometer.core.instrument.Gauge"));
    }
  }

  /** Exercises every path: listeners, leak detection, waits, timeouts, async, snapshot, close. */
  public static final class EverythingButMeters implements Callable<String> {
    @Override
    public String call() throws Exception {
      HostKey host = HostKey.of("example.com", 443);
      try (HostRegulator regulator = HostRegulators.builder()
          .defaultLimit(1)
          .listener(new RegulatorListener() {})
          .leakThreshold(Duration.ofMinutes(1))
          .reclaimUnreachableSlots(true)
          .recordAcquisitionSites(true)
          .build()) {
        RegulatedPool pool = regulator.newPool("a");
        Slot slot = pool.acquire(host);
        CompletableFuture<Slot> queued = pool.acquireAsync(host, Duration.ofSeconds(30));
        try {
          pool.acquire(host, Duration.ZERO);
          return "no timeout";
        } catch (SlotTimeoutException expected) {
          // a time-out names the holders
        }
        String table = HostSnapshot.table(regulator.snapshot());
        slot.close();
        queued.join().close();
        pool.tryAcquire(host).orElseThrow().close();
        pool.close();
        return table.startsWith("HOST") ? "ok" : table;
      }
    }
  }

  /** The same with a registry. */
  public static final class WithMeters implements Callable<String> {
    @Override
    public String call() throws Exception {
      HostKey host = HostKey.of("example.com", 443);
      try (HostRegulator regulator = HostRegulators.builder()
          .meterRegistry(new SimpleMeterRegistry())
          .build()) {
        RegulatedPool pool = regulator.newPool("a");
        pool.acquire(host).close();
        assertFalse(pool.isClosed());
        return "ok";
      }
    }
  }
}
