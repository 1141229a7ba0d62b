package io.regulator.http.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks shared by this module's builders, with one wording for their errors. */
public final class Checks {
  private Checks() {}

  /**
   * Returns {@code value} if it is set and not negative.
   *
   * @throws NullPointerException naming {@code name} if it is null
   * @throws IllegalArgumentException naming {@code name} and the value if it is negative
   */
  public static Duration nonNegative(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " < 0: " + value);
    }
    return value;
  }
}
