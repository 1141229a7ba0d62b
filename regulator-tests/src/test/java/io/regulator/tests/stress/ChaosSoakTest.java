package io.regulator.tests.stress;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the {@link ChaosSoak}: the short profile in {@code ./mvnw verify}, a long one on demand.
 *
 * <pre>
 * ./mvnw -B -pl regulator-tests -am verify -Dtest=ChaosSoakTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dsoak.minutes=30            # long profile
 *     -Dsoak.seed=1234567          # replay a failure's decisions
 * </pre>
 */
class ChaosSoakTest {
  /**
   * The short profile: long enough for thousands of rebuilds, limit changes and interrupts. With
   * the few seconds that starting every real client takes, the test stays within its 40 s.
   */
  static final Duration SHORT = Duration.ofSeconds(32);

  @Test
  // The module's default of 2 min per test would cut a long profile short; the soak's own bound is
  // its duration plus 3 min (below), and it names any thread still stuck.
  @Timeout(value = 24, unit = TimeUnit.HOURS)
  void chaosSoak_holdersNeverPassTheLimitAndEveryCountReturnsToBaseline() throws Exception {
    long seed = Long.getLong("soak.seed", ThreadLocalRandom.current().nextLong());
    runSoak(seed, duration());
  }

  static Duration duration() {
    String minutes = System.getProperty("soak.minutes");
    if (minutes != null) {
      return Duration.ofSeconds(Math.round(Double.parseDouble(minutes) * 60));
    }
    return Duration.ofSeconds(Long.getLong("soak.seconds", SHORT.toSeconds()));
  }

  static void runSoak(long seed, Duration duration) throws Exception {
    System.out.println("chaos soak: seed " + seed + ", " + duration.toSeconds() + " s");
    ChaosSoak soak = new ChaosSoak(seed, duration);
    // A safety net only: the soak bounds every wait itself and reports stuck threads by name.
    SoakReport report = assertTimeoutPreemptively(duration.plusMinutes(3), soak::run,
        () -> "chaos soak hung; seed " + seed);
    System.out.println(soak.summary());
    if (report.failed()) {
      fail("chaos soak failed; replay its decisions with -Dsoak.seed=" + seed
          + " (the interleaving is the scheduler's: run it a few times)\n"
          + String.join("\n", report.violations()) + "\n" + soak.summary());
    }
  }
}
