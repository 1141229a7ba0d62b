package io.regulator.http;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.SignStyle;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads a {@code Retry-After} header (RFC 9110, section 10.2.3): delta-seconds or an HTTP-date.
 *
 * <p>Stateless and thread-safe.
 */
public final class RetryAfter {
  /** RFC 850 and asctime, the two obsolete HTTP-date forms a recipient must still accept; both GMT. */
  private static final List<DateTimeFormatter> OBSOLETE_DATES = List.of(
      new DateTimeFormatterBuilder()
          .appendPattern("EEEE, dd-MMM-")
          // A two-digit year: RFC 9110 reads one more than 50 years ahead as the past century.
          .appendValueReduced(ChronoField.YEAR, 2, 2, LocalDate.now(ZoneOffset.UTC).getYear() - 49)
          .appendPattern(" HH:mm:ss 'GMT'")
          .toFormatter(Locale.US),
      new DateTimeFormatterBuilder()
          .appendPattern("EEE MMM ")
          .padNext(2)
          .appendValue(ChronoField.DAY_OF_MONTH, 1, 2, SignStyle.NOT_NEGATIVE)
          .appendPattern(" HH:mm:ss yyyy")
          .toFormatter(Locale.US));

  private RetryAfter() {}

  /**
   * Returns how long the server asks to wait, counted from {@code now}.
   *
   * @param value the header's value, or {@code null} when absent
   * @param now the current instant, from the caller's clock
   * @return the wait: {@link Duration#ZERO} for a date in the past, at most {@code Long.MAX_VALUE}
   *     seconds for an absurdly large delta; empty when the value is absent or neither form
   */
  public static Optional<Duration> parse(String value, Instant now) {
    Objects.requireNonNull(now, "now");
    if (value == null) {
      return Optional.empty();
    }
    String text = value.trim();
    if (text.isEmpty()) {
      return Optional.empty();
    }
    if (isDigits(text)) {
      return Optional.of(deltaSeconds(text));
    }
    Instant date = httpDate(text);
    if (date == null) {
      return Optional.empty();
    }
    return Optional.of(date.isAfter(now) ? Duration.between(now, date) : Duration.ZERO);
  }

  private static Instant httpDate(String text) {
    if (text.endsWith(" GMT")) {
      try {
        // IMF-fixdate, the form every sender must use; HTTP-dates are GMT by definition.
        return ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      } catch (DateTimeException ignored) {
        // maybe RFC 850
      }
    }
    for (DateTimeFormatter format : OBSOLETE_DATES) {
      try {
        return LocalDateTime.parse(text, format).toInstant(ZoneOffset.UTC);
      } catch (DateTimeException ignored) {
        // try the next form
      }
    }
    return null;
  }

  private static boolean isDigits(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static Duration deltaSeconds(String digits) {
    // RFC 9110 asks recipients to treat a delta too large to represent as the largest they can.
    if (digits.length() > 18) {
      return Duration.ofSeconds(Long.MAX_VALUE);
    }
    return Duration.ofSeconds(Long.parseLong(digits));
  }
}
