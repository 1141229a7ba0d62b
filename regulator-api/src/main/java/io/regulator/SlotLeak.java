package io.regulator;

import java.time.Duration;
import java.util.Objects;

/**
 * A suspected slot leak, as reported to {@link RegulatorListener#leakSuspected}. Its {@link
 * #toString()} reads as one log line; log {@link #acquisitionSite()} with it to show where the
 * slot was taken.
 *
 * @param key the host of the slot
 * @param poolName the pool that holds (or held) the slot
 * @param age how long the slot had been held when this was reported
 * @param reclaimed {@code true} when the slot became unreachable without being released and was
 *     given back to its host; {@code false} when it is still held, just for longer than the
 *     threshold
 * @param acquisitionSite a throwable whose stack trace shows where the slot was acquired, or null
 *     when the regulator does not record acquisition sites
 */
public record SlotLeak(
    HostKey key, String poolName, Duration age, boolean reclaimed, Throwable acquisitionSite) {

  /** Checks the facts; immutable and thread-safe (the site is never modified). */
  public SlotLeak {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(poolName, "poolName");
    Objects.requireNonNull(age, "age");
  }

  /**
   * One log line: {@code slot of example.com:443 held by pool 'billing' for 61000 ms and never
   * released; reclaimed}.
   */
  @Override
  public String toString() {
    String what = reclaimed
        ? " became unreachable after " + age.toMillis() + " ms without release(); reclaimed"
        : " for " + age.toMillis() + " ms, longer than the leak threshold; still held";
    String where = (acquisitionSite == null)
        ? " (acquisition site not recorded)"
        : " (acquired at " + firstFrame() + ")";
    return "slot of " + key + " held by pool '" + poolName + "'" + what + where;
  }

  private String firstFrame() {
    StackTraceElement[] frames = acquisitionSite.getStackTrace();
    return (frames.length == 0) ? "unknown" : frames[0].toString();
  }
}
