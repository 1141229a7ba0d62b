package io.regulator.core;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a host's limit adapts to the outcomes its pools report ({@link io.regulator.Slot#reportSuccess},
 * {@link io.regulator.Slot#reportDropped}): the algorithm and the band it moves in. The limit
 * starts from the host's configured limit and moves through the same live path as {@link
 * io.regulator.HostRegulator#setLimit} (lowering it revokes nothing); every move is a {@link
 * io.regulator.RegulatorListener#limitChanged} event and moves the {@code regulator.slots.limit}
 * gauge. See {@code docs/adaptive.md}.
 *
 * <p>The default algorithm, {@link #aimd()}, is windowed AIMD: at most one cut per window
 * (times {@link Builder#backoffRatio}, default 0.9) however many drops the window saw, and +1 at
 * the end of a window without drops in which in-use reached the limit. {@link
 * #latency(Supplier)} plugs in one of Netflix concurrency-limits' latency-based {@code Limit}s
 * instead (Vegas, Gradient2), an optional dependency.
 *
 * <p>Immutable and thread-safe.
 */
public final class AdaptiveLimit {
  private final int min;
  private final int max;
  private final long windowNanos;
  private final double backoffRatio;
  private final Supplier<?> netflixLimit;

  private AdaptiveLimit(Builder builder) {
    this.min = builder.min;
    this.max = builder.max;
    this.windowNanos = builder.window.toNanos();
    this.backoffRatio = builder.backoffRatio;
    this.netflixLimit = builder.netflixLimit;
  }

  /** Windowed AIMD with the defaults: min 1, max the host's configured limit, 1 s windows, ×0.9. */
  public static AdaptiveLimit aimdDefaults() {
    return aimd().build();
  }

  /** A builder of windowed AIMD, starting from the defaults. */
  public static Builder aimd() {
    return new Builder(null);
  }

  /**
   * A builder of a latency-based limit: each host gets its own {@code
   * com.netflix.concurrency.limits.Limit} from {@code perHost} (for instance {@code () ->
   * Gradient2Limit.newBuilder().initialLimit(20).build()}), fed every success and drop as a
   * sample; its limit is applied, clamped to [min, max]. Needs concurrency-limits-core on the
   * class or module path. The window and ratio settings do not apply.
   *
   * @param perHost makes a fresh {@code com.netflix.concurrency.limits.Limit} per host; typed
   *     {@code Supplier<?>} so that this class loads without the optional dependency
   */
  public static Builder latency(Supplier<?> perHost) {
    return new Builder(Objects.requireNonNull(perHost, "perHost"));
  }

  /** The lowest the limit goes. */
  public int min() {
    return min;
  }

  /** The highest the limit goes; 0 means the host's configured limit. */
  public int max() {
    return max;
  }

  /** The AIMD window. */
  public Duration window() {
    return Duration.ofNanos(windowNanos);
  }

  /** The AIMD cut: the limit is multiplied by this once per window with drops. */
  public double backoffRatio() {
    return backoffRatio;
  }

  /** Whether this is a latency-based (Netflix) limit rather than windowed AIMD. */
  public boolean isLatencyBased() {
    return netflixLimit != null;
  }

  /** The factory of per-host Netflix {@code Limit}s of a latency-based limit; null for AIMD. */
  public Supplier<?> latencyLimitFactory() {
    return netflixLimit;
  }

  @Override
  public String toString() {
    return (netflixLimit == null)
        ? "AdaptiveLimit{aimd, min=" + min + ", max=" + ((max == 0) ? "configured" : max)
            + ", window=" + window() + ", backoffRatio=" + backoffRatio + "}"
        : "AdaptiveLimit{latency, min=" + min + ", max=" + ((max == 0) ? "configured" : max) + "}";
  }

  /** Builds an {@link AdaptiveLimit}; validates each value as it is set. Not thread-safe. */
  public static final class Builder {
    private final Supplier<?> netflixLimit;
    private int min = 1;
    private int max;
    private Duration window = Duration.ofSeconds(1);
    private double backoffRatio = 0.9;

    private Builder(Supplier<?> netflixLimit) {
      this.netflixLimit = netflixLimit;
    }

    /** The lowest the limit goes; default 1. */
    public Builder min(int min) {
      if (min < 1) {
        throw new IllegalArgumentException("min < 1: " + min);
      }
      this.min = min;
      return this;
    }

    /** The highest the limit goes; default the host's configured limit (its own, or the default). */
    public Builder max(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("max < 1: " + max);
      }
      this.max = max;
      return this;
    }

    /** The AIMD window: at most one cut, and at most one +1, per window. Default 1 s. */
    public Builder window(Duration window) {
      Objects.requireNonNull(window, "window");
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("window <= 0: " + window);
      }
      this.window = window;
      return this;
    }

    /** What a window with drops multiplies the limit by, in (0, 1); default 0.9. */
    public Builder backoffRatio(double ratio) {
      if (!(ratio > 0.0 && ratio < 1.0)) {
        throw new IllegalArgumentException("backoffRatio outside (0, 1): " + ratio);
      }
      this.backoffRatio = ratio;
      return this;
    }

    /**
     * Builds it.
     *
     * @throws IllegalStateException if {@code min} exceeds {@code max}
     */
    public AdaptiveLimit build() {
      if (max != 0 && min > max) {
        throw new IllegalStateException("min " + min + " exceeds max " + max);
      }
      return new AdaptiveLimit(this);
    }
  }
}
