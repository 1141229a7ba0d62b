package io.regulator.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * The argument checks of Regulator's builders (core's and the fleet tier's), with one wording for
 * their errors: the parameter, the bound it broke and the value, {@code "defaultLimit < 1: 0"}.
 * Not API: exported only to Regulator's own modules.
 *
 * <p>Thread-safe: static and stateless.
 */
public final class Checks {
  private Checks() {}

  /** Throws {@link IllegalArgumentException} with {@code message} unless {@code condition}. */
  public static void requireArgument(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Returns {@code value} if it is at least 1, else throws naming {@code name} and the value. */
  public static int atLeastOne(int value, String name) {
    requireArgument(value >= 1, name + " < 1: " + value);
    return value;
  }

  /** Returns {@code value} if it is not negative, else throws naming {@code name} and the value. */
  public static int nonNegative(int value, String name) {
    requireArgument(value >= 0, name + " < 0: " + value);
    return value;
  }

  /**
   * Returns {@code value} if it is set and not negative.
   *
   * @throws NullPointerException naming {@code name} if it is null
   * @throws IllegalArgumentException naming {@code name} and the value if it is negative
   */
  public static Duration nonNegative(Duration value, String name) {
    Objects.requireNonNull(value, name);
    requireArgument(!value.isNegative(), name + " < 0: " + value);
    return value;
  }

  /**
   * Returns {@code value} if it is set and longer than zero.
   *
   * @throws NullPointerException naming {@code name} if it is null
   * @throws IllegalArgumentException naming {@code name} and the value if it is zero or negative
   */
  public static Duration positive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    requireArgument(!value.isNegative() && !value.isZero(), name + " <= 0: " + value);
    return value;
  }
}
