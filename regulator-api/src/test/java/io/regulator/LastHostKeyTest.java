package io.regulator;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.ref.WeakReference;
import java.net.URI;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LastHostKeyTest {

  @ParameterizedTest
  @ValueSource(strings = {"example.com", "Example.COM", "example.com.", "bücher.de", "example\u3002com",
      "my_service", "127.0.0.1", "[::1]", "0:0:0:0:0:0:0:1", "2001:0db8::0001"})
  void hostAndPort_giveTheKeyHostKeyOfBuilds_andTheSameOneWhileTheyRepeat(String host) {
    LastHostKey keys = new LastHostKey();
    HostKey first = keys.of(host, 8443);
    assertEquals(HostKey.of(host, 8443), first);
    assertSame(first, keys.of(host, 8443));
    assertSame(first, keys.of(new String(host), 8443), "an equal host string in another instance hits too");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://Example.com/path", "https://example.com", "ws://example.com",
      "WSS://example.com", "HTTPS://example.com/", "https://user@example.com:8443/x?q", "http://[::1]:9000/",
      "http://[0:0:0:0:0:0:0:1]/", "ftp://example.com:21/", "//example.com:80/relative",
      "http://my_service:8080/", "http://my_service/"})
  void uris_giveTheKeyHostKeyOfBuilds_andTheSameOneWhileTheyRepeat(String uri) {
    LastHostKey keys = new LastHostKey();
    HostKey first = keys.of(URI.create(uri));
    assertEquals(HostKey.of(URI.create(uri)), first);
    assertEquals(first, keys.of(URI.create(uri)));
    assertEquals(HostKey.of(URI.create(uri)), keys.of(URI.create(uri + "#again")));
  }

  @Test
  void theSameUriObjectAgain_givesItsKey_andAHostAndPortEntryIsNotTakenForIt() {
    LastHostKey keys = new LastHostKey();
    URI uri = URI.create("https://example.com:8443/a");
    HostKey first = keys.of(uri);
    assertSame(first, keys.of(uri));
    assertEquals(HostKey.of("other.example", 443), keys.of("other.example", 443));
    assertEquals(HostKey.of("example.com", 8443), keys.of(uri),
        "after an entry built from a host and port, the URI is keyed on its own host again");
    URI equalButDistinct = URI.create("https://example.com:8443/a");
    assertSame(keys.of(uri), keys.of(equalButDistinct), "an equal URI object hits by host");
  }

  @Test
  void uriWithoutAPort_isKeyedOnItsSchemesDefault_notOnAnotherSchemesKey() {
    LastHostKey keys = new LastHostKey();
    assertEquals(HostKey.of("example.com", 443), keys.of(URI.create("https://example.com/")));
    assertEquals(HostKey.of("example.com", 80), keys.of(URI.create("http://example.com/")));
    assertEquals(HostKey.of("example.com", 443), keys.of(URI.create("wss://example.com/")));
    assertEquals(HostKey.of("example.com", 443), keys.of(URI.create("ftp://example.com:443/")));
    assertSame(keys.of(URI.create("https://example.com/a")), keys.of("example.com", 443),
        "a host and port after a URI of the same host and effective port is the same key");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", ".", "a..b", "-a.com", "1.2.3.256", "01.2.3.4", "[::1", "1::2::3",
      "fe80::1%eth0", "host:80", "[::1]:80",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"}) // a 64-character label
  void badHosts_failAsHostKeyOf_everyTime_evenRightAfterAGoodKey(String host) {
    LastHostKey keys = new LastHostKey();
    keys.of("example.com", 443);
    for (int attempt = 0; attempt < 2; attempt++) { // a failure is not remembered
      assertSameFailure(() -> HostKey.of(host, 443), () -> keys.of(host, 443));
    }
    assertEquals(HostKey.of("example.com", 443), keys.of("example.com", 443));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 65_536})
  void portsOutsideTheRange_failAsHostKeyOf_afterAGoodKeyOfTheSameHost(int port) {
    LastHostKey keys = new LastHostKey();
    keys.of("example.com", 443);
    assertSameFailure(() -> HostKey.of("example.com", port), () -> keys.of("example.com", port));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://example.com/", "mailto:a@b.c", "http://example.com:99999/",
      "http://-bad-.example/", "/relative/only", "http://my_service:x/"})
  void badUris_failAsHostKeyOf_everyTime_evenAfterAGoodKeyOfTheSameHost(String uri) {
    LastHostKey keys = new LastHostKey();
    keys.of(URI.create("https://example.com/"));
    keys.of("example.com", 443);
    for (int attempt = 0; attempt < 2; attempt++) {
      assertSameFailure(() -> HostKey.of(URI.create(uri)), () -> keys.of(URI.create(uri)));
    }
  }

  @Test
  void nulls_failAsHostKeyOf_evenWithAKeyRemembered() {
    LastHostKey keys = new LastHostKey();
    keys.of("example.com", 443);
    assertSameFailure(() -> HostKey.of((String) null, 443), () -> keys.of((String) null, 443));
    assertSameFailure(() -> HostKey.of((URI) null), () -> keys.of((URI) null));
  }

  @Test
  void anotherHost_replacesTheOneEntry_soTheFirstIsBuiltAgain() {
    LastHostKey keys = new LastHostKey();
    HostKey a = keys.of("a.example", 443);
    HostKey b = keys.of("b.example", 443);
    assertSame(b, keys.of("b.example", 443));
    HostKey againA = keys.of("a.example", 443);
    assertEquals(a, againA);
    assertNotSame(a, againA, "one entry: a was forgotten when b came");
  }

  @Test
  void aMillionDistinctHosts_leaveOnlyTheLastKeyReachable() {
    LastHostKey keys = new LastHostKey();
    WeakReference<HostKey> first = new WeakReference<>(keys.of("h0.example", 443));
    for (int i = 1; i < 1_000_000; i++) {
      keys.of("h" + i + ".example", 443);
    }
    assertEquals("LastHostKey{h999999.example:443}", keys.toString());
    await().atMost(10, SECONDS).until(() -> {
      System.gc();
      return first.get() == null;
    });
  }

  @RepeatedTest(20)
  void threadsSendingToDifferentHostsAtOnce_eachGetTheirOwnHostsKey() throws Exception {
    LastHostKey keys = new LastHostKey();
    CyclicBarrier start = new CyclicBarrier(2);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread[] threads = new Thread[2];
    for (int t = 0; t < 2; t++) {
      String host = "t" + t + ".example";
      HostKey expected = HostKey.of(host, 443);
      URI uri = URI.create("https://" + host + "/");
      threads[t] = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < 20_000; i++) {
            HostKey key = (i % 2 == 0) ? keys.of(host, 443) : keys.of(uri);
            if (!key.equals(expected)) {
              throw new AssertionError(key + " for " + host);
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertEquals(null, failure.get());
  }

  /** Both throw, the same exception type with the same message. */
  private static void assertSameFailure(Supplier<HostKey> direct, Supplier<HostKey> cached) {
    RuntimeException expected = assertThrows(RuntimeException.class, direct::get);
    RuntimeException actual = assertThrows(RuntimeException.class, cached::get);
    assertEquals(expected.getClass(), actual.getClass());
    assertEquals(expected.getMessage(), actual.getMessage());
  }
}
