package io.regulator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Scenario 16, the parser: every form RFC 9110 allows, and what it does not. */
class RetryAfterTest {
  private static final Instant NOW = Instant.parse("2025-11-23T10:00:00Z");

  @Test
  void deltaSeconds_isReadAsSeconds() {
    assertEquals(Optional.of(Duration.ofSeconds(30)), RetryAfter.parse("30", NOW));
    assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("0", NOW));
    assertEquals(Optional.of(Duration.ofSeconds(7)), RetryAfter.parse(" 7 ", NOW));
  }

  @Test
  void imfFixdate_isReadAsTheTimeUntilIt() {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(45).atOffset(ZoneOffset.UTC));
    assertEquals("Sun, 23 Nov 2025 10:00:45 GMT", date);
    assertEquals(Optional.of(Duration.ofSeconds(45)), RetryAfter.parse(date, NOW));
  }

  @Test
  void obsoleteDateForms_areReadToo() {
    assertEquals(Optional.of(Duration.ofSeconds(90)),
        RetryAfter.parse("Sunday, 23-Nov-25 10:01:30 GMT", NOW));
    assertEquals(Optional.of(Duration.ofSeconds(120)), RetryAfter.parse("Sun Nov 23 10:02:00 2025", NOW));
    assertEquals(Optional.of(Duration.ofSeconds(3600 * 24 * 9)),
        RetryAfter.parse("Tue Dec  2 10:00:00 2025", NOW));
  }

  @Test
  void dateInThePast_meansNoWait() {
    assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Wed, 21 Oct 2015 07:28:00 GMT", NOW));
  }

  @Test
  void hugeDelta_saturatesInsteadOfOverflowing() {
    assertEquals(Optional.of(Duration.ofSeconds(Long.MAX_VALUE)),
        RetryAfter.parse("99999999999999999999999999", NOW));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "soon", "-5", "1.5", "30s", "0x10", "Sun, 23 Nov 2025 10:00:45 PST",
      "Sun, 32 Nov 2025 10:00:45 GMT", "Mon, 23 Nov 2025 10:00:45"})
  void garbage_isNoAnswer(String value) {
    assertEquals(Optional.empty(), RetryAfter.parse(value, NOW));
  }

  @Test
  void absentHeader_isNoAnswer() {
    assertEquals(Optional.empty(), RetryAfter.parse(null, NOW));
  }
}
