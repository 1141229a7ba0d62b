package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.DropReason;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Netflix concurrency-limits is optional (issue 16): windowed AIMD and shared backoff run with no
 * concurrency-limits jar at all, and never load {@code NetflixAlgorithm}. Runs the workload in a
 * fresh class loader without the jar, as {@link MicrometerAbsenceTest} does for Micrometer.
 */
class ConcurrencyLimitsAbsenceTest {

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
  void aimdAndSharedBackoff_runWithoutTheJar() throws Exception {
    String path = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : path.split(File.pathSeparator)) {
      if (!entry.isEmpty() && !entry.contains("concurrency-limits")) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    try (RecordingLoader loader = new RecordingLoader(urls)) {
      Class<?> isolated = Class.forName(AimdWorkload.class.getName(), true, loader);
      @SuppressWarnings("unchecked")
      Callable<String> call = (Callable<String>) isolated.getDeclaredConstructor().newInstance();
      assertEquals("18", call.call());
      assertTrue(loader.requested.contains("io.regulator.core.internal.AdaptiveLimits"));
      assertTrue(loader.requested.stream().noneMatch(
          name -> name.startsWith("com.netflix.") || name.endsWith(".NetflixAlgorithm")),
          "no Netflix class requested");
    }
  }

  /** A regulator with AIMD and shared backoff, one drop; returns the limit after it. */
  public static final class AimdWorkload implements Callable<String> {
    @Override
    public String call() throws Exception {
      HostKey key = HostKey.of("partner.example", 443);
      try (HostRegulator regulator = HostRegulators.builder().defaultLimit(20)
          .adaptiveLimits(AdaptiveLimit.aimdDefaults())
          .sharedRetryAfter(SharedBackoff.FAIL_FAST).build()) {
        RegulatedPool pool = regulator.newPool("p");
        try (Slot slot = pool.acquire(key, Duration.ofSeconds(1))) {
          slot.reportDropped(DropReason.RATE_LIMITED, Duration.ofMillis(1));
        }
        return String.valueOf(regulator.limit(key));
      }
    }
  }
}
