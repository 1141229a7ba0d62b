package io.regulator.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The first timed acquire of a JVM: before the fix it loaded the wait and time-out paths' classes
 * (JFR's event registration, the time-out message) inside its own deadline and overshot it (asked
 * 50 ms, gave up after 149 ms). Needs a JVM where no acquire ever waited, so it forks one: {@link
 * #main} is the probe.
 */
class FirstTimedAcquireTest {

  @Test
  void firstTimedAcquireOfAFreshJvm_loadsNoClassInsideItsDeadline() throws Exception {
    Process probe = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), FirstTimedAcquireTest.class.getName())
        .redirectErrorStream(true).start();
    String output;
    try (InputStream in = probe.getInputStream()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      in.transferTo(bytes);
      output = bytes.toString(StandardCharsets.UTF_8);
    }
    assertTrue(probe.waitFor(60, TimeUnit.SECONDS), output);
    assertEquals(0, probe.exitValue(), output);
    // Before the fix: several hundred classes (JFR, reflection proxies, comparators, string
    // concatenation species) loaded between the start of the wait and its time-out.
    assertTrue(output.contains("classes loaded while waiting: 0;"), output);
  }

  /** The probe: one regulator, the only slot held, then a 50 ms acquire that must time out. */
  public static void main(String[] args) throws InterruptedException {
    ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
    HostKey key = HostKey.of("partner.example", 443);
    classes.getTotalLoadedClassCount(); // loads what the bean itself needs, outside the window
    try (HostRegulator regulator = HostRegulators.builder().defaultLimit(1).build();
        RegulatedPool holder = regulator.newPool("holder");
        RegulatedPool waiter = regulator.newPool("waiter");
        // Held asynchronously, as by another caller: the waiter's thread holds nothing, so its
        // acquire waits (a slot this thread held would make it a self-deadlock, refused at once).
        Slot held = holder.acquireAsync(key, Duration.ZERO).join()) {
      long before = classes.getTotalLoadedClassCount();
      long start = System.nanoTime();
      long waited;
      try {
        waiter.acquire(key, Duration.ofMillis(50)).close();
        throw new AssertionError("acquired a held slot of a host whose limit is 1");
      } catch (SlotTimeoutException expected) {
        waited = System.nanoTime() - start;
      }
      long loaded = classes.getTotalLoadedClassCount() - before;
      if (held.isReleased()) {
        throw new AssertionError("the held slot was released");
      }
      System.out.println("classes loaded while waiting: " + loaded + "; gave up after "
          + TimeUnit.NANOSECONDS.toMillis(waited) + " ms of 50");
    }
  }
}
