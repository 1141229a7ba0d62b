package io.regulator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.SlotTimeoutException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Scenario 16 at the policy: every Retry-After form gives a bounded, sane wait; and the rest of the policy. */
class RetryPolicyTest {
  private static final Instant NOW = Instant.parse("2025-11-23T10:00:00Z");

  private static RetryPolicy.Builder fixed() {
    return RetryPolicy.builder().clock(Clock.fixed(NOW, ZoneOffset.UTC)).jitter(() -> 0.5);
  }

  @Test
  void retryAfterForms_eachGiveABoundedSaneWait() {
    RetryPolicy policy = fixed().baseDelay(Duration.ofMillis(100)).maxDelay(Duration.ofSeconds(60)).build();
    String inFortyFive = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(45).atOffset(ZoneOffset.UTC));

    assertEquals(Duration.ofSeconds(30), policy.delayAfterStatus(1, "30"), "delta seconds");
    assertEquals(Duration.ofSeconds(45), policy.delayAfterStatus(1, inFortyFive), "HTTP-date");
    assertEquals(Duration.ZERO, policy.delayAfterStatus(1, "Wed, 21 Oct 2015 07:28:00 GMT"), "date in the past");
    assertEquals(Duration.ofMillis(50), policy.delayAfterStatus(1, "soon"), "garbage: backoff");
    assertEquals(Duration.ofSeconds(60), policy.delayAfterStatus(1, "86400"), "above the cap");
    assertEquals(Duration.ofSeconds(60), policy.delayAfterStatus(1, "Fri, 01 Jan 2100 00:00:00 GMT"), "far date");
    assertEquals(Duration.ofSeconds(60), policy.delayAfterStatus(1, "99999999999999999999999"), "overflow");
    assertEquals(Duration.ofMillis(50), policy.delayAfterStatus(1, null), "absent: backoff");
  }

  @Test
  void retryAfter_isTheServersWaitCappedAtMaxDelay_andEmptyWithoutAUsableHeader() {
    RetryPolicy policy = fixed().maxDelay(Duration.ofSeconds(2)).build();
    assertEquals(java.util.Optional.of(Duration.ofSeconds(1)), policy.retryAfter("1"));
    assertEquals(java.util.Optional.of(Duration.ofSeconds(2)), policy.retryAfter("120"));
    String inFortyFive = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(45).atOffset(ZoneOffset.UTC));
    assertEquals(java.util.Optional.of(Duration.ofSeconds(2)), policy.retryAfter(inFortyFive));
    assertEquals(java.util.Optional.empty(), policy.retryAfter(null));
    assertEquals(java.util.Optional.empty(), policy.retryAfter("soon"));
  }

  @Test
  void backoff_isFullJitterOfADoublingBoundCappedAtMaxDelay() {
    RetryPolicy top = fixed().jitter(() -> Math.nextDown(1.0)).baseDelay(Duration.ofMillis(100))
        .maxDelay(Duration.ofSeconds(1)).build();
    assertEquals(99, top.backoff(1).toMillis());
    assertEquals(199, top.backoff(2).toMillis());
    assertEquals(399, top.backoff(3).toMillis());
    assertEquals(799, top.backoff(4).toMillis());
    assertEquals(999, top.backoff(5).toMillis());
    assertEquals(999, top.backoff(1_000_000).toMillis());

    RetryPolicy bottom = fixed().jitter(() -> 0.0).build();
    assertEquals(Duration.ZERO, bottom.backoff(7));
  }

  @Test
  void backoff_neverExceedsTheCapWhateverTheAttempt() {
    RetryPolicy policy = RetryPolicy.builder().maxDelay(Duration.ofSeconds(3)).build();
    for (int attempt = 1; attempt < 200; attempt++) {
      Duration wait = policy.backoff(attempt);
      assertTrue(!wait.isNegative() && wait.compareTo(Duration.ofSeconds(3)) <= 0, attempt + ": " + wait);
    }
  }

  @Test
  void onlyIdempotentMethodsAreRetried_andAttemptsAreBounded() {
    RetryPolicy policy = RetryPolicy.builder().maxAttempts(3).build();
    for (String method : new String[] {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "get"}) {
      assertTrue(policy.allowsAnotherAttempt(method, 1), method);
      assertTrue(policy.allowsAnotherAttempt(method, 2), method);
      assertFalse(policy.allowsAnotherAttempt(method, 3), method);
    }
    for (String method : new String[] {"POST", "PATCH", "CONNECT"}) {
      assertFalse(policy.allowsAnotherAttempt(method, 1), method);
    }
    assertFalse(RetryPolicy.none().allowsAnotherAttempt("GET", 1));
  }

  @Test
  void statuses_defaultTo429And503() {
    RetryPolicy policy = RetryPolicy.defaults();
    assertTrue(policy.retriesStatus(429));
    assertTrue(policy.retriesStatus(503));
    assertFalse(policy.retriesStatus(500));
    assertFalse(policy.retriesStatus(200));
    assertTrue(RetryPolicy.builder().retryStatuses(Set.of(502)).build().retriesStatus(502));
  }

  @Test
  void connectionFailuresAreRetried_butNotTimeoutsTlsDnsOrSlotTimeouts() {
    RetryPolicy policy = RetryPolicy.defaults();
    assertTrue(policy.retriesFailure(new ConnectException("refused")));
    assertTrue(policy.retriesFailure(new HttpConnectTimeoutException("connect timed out")));
    assertTrue(policy.retriesFailure(new EOFException("closed")));
    assertTrue(policy.retriesFailure(new IOException("Connection reset")));
    assertTrue(policy.retriesFailure(new CompletionException(new ConnectException("refused"))));
    assertFalse(policy.retriesFailure(new HttpTimeoutException("request timed out")));
    assertFalse(policy.retriesFailure(new SocketTimeoutException("read timed out")));
    assertFalse(policy.retriesFailure(new UnknownHostException("nowhere")));
    assertFalse(policy.retriesFailure(new javax.net.ssl.SSLHandshakeException("bad cert")));
    assertFalse(policy.retriesFailure(new SlotTimeoutException(
        HostKey.of("a.example", 80), 1, 1, 0, Duration.ofSeconds(1), "")));
    assertFalse(policy.retriesFailure(new IllegalStateException("bug")));
  }

  @Test
  void builder_refusesBadValuesNamingThem() {
    assertEquals("maxAttempts < 1: 0",
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().maxAttempts(0)).getMessage());
    assertEquals("baseDelay < 0: PT-1S",
        assertThrows(IllegalArgumentException.class,
            () -> RetryPolicy.builder().baseDelay(Duration.ofSeconds(-1))).getMessage());
    assertEquals("maxDelay < 0: PT-1S",
        assertThrows(IllegalArgumentException.class,
            () -> RetryPolicy.builder().maxDelay(Duration.ofSeconds(-1))).getMessage());
    assertEquals("status outside 100..599: 99",
        assertThrows(IllegalArgumentException.class,
            () -> RetryPolicy.builder().retryStatuses(Set.of(99))).getMessage());
    assertEquals("baseDelay PT2S exceeds maxDelay PT1S",
        assertThrows(IllegalStateException.class, () -> RetryPolicy.builder()
            .baseDelay(Duration.ofSeconds(2)).maxDelay(Duration.ofSeconds(1)).build()).getMessage());
    assertThrows(NullPointerException.class, () -> RetryPolicy.builder().clock(null));
    assertThrows(IllegalStateException.class, () -> fixed().jitter(() -> 1.0).build().backoff(1));
    assertEquals("attempt < 1: 0",
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.defaults().backoff(0)).getMessage());
  }
}
