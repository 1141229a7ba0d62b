package io.regulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fast path of {@link HostSyntax#normalize} (a name already in normal form is returned as it
 * is, without {@code IDN}) agrees with the full normalization on every name: real ones,
 * adversarial ones at every boundary the fast path checks, and a few hundred thousand random ones
 * drawn from an alphabet that mixes the characters it accepts with those it must not.
 */
class HostSyntaxFastPathTest {
  private static final String LABEL_63 = "a".repeat(63);

  /** Real names, as clients and service registries spell them. */
  private static final List<String> REAL = List.of(
      "example.com", "www.google.com", "api.github.com", "s3.eu-west-1.amazonaws.com",
      "login.microsoftonline.com", "graph.facebook.com", "en.wikipedia.org", "localhost",
      "my-service", "my_service", "redis-master.default.svc.cluster.local",
      "_grpc._tcp.example.com", "ec2-54-210-1-2.compute-1.amazonaws.com", "xn--bcher-kva.de",
      "xn--80ak6aa92e.com", "1password.com", "123.example", "3com.com", "a.b.c.d.e.f.g",
      "co", "x", "a1", "1a", "0x7f.1", "1e3", "api.v2", "foo--bar.example");

  /** Names at the edges: each either passes both paths alike or is refused by the fast path. */
  private static final List<String> ADVERSARIAL = List.of(
      "", " ", ".", "..", "a.", "a..b", ".a", "-a", "a-", "a.-b", "a-.b", "a.b-", "-", "_", "__",
      "a_", "_a", "1.2.3.4", "1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4.", "1234", "1.2.3.4.5",
      "127.0.0.1", "0.0.0.0", "255.255.255.255", "1..2", "Example.com", "EXAMPLE.COM", "a.B",
      "bücher.de", "xn--bcher-kva.de.", "example\u3002com", "example\uFF0Ecom", "ex ample.com",
      "example.com ", " example.com", "a\tb", "a/b", "a:b", "[::1]", "::1", "a@b", "a%b", "a*b",
      "ä", "\u0130stanbul.tr", "\u212Aelvin.com", "stra\u00dfe.de", "\u00e9.fr",
      LABEL_63, LABEL_63 + "a", LABEL_63 + ".com", LABEL_63 + "a.com", "com." + LABEL_63,
      "com." + LABEL_63 + "a", "-" + LABEL_63.substring(1), LABEL_63.substring(1) + "-",
      name(253), name(254), name(252) + ".", name(253) + ".", "xn--", "xn--a", "xn---",
      "xn--zzzzzzzzzzzz.com", "a.xn--.b");

  @Test
  void realAndAdversarialNames_normalizeAlikeOnBothPaths() {
    List<String> corpus = new ArrayList<>(REAL);
    corpus.addAll(ADVERSARIAL);
    for (String raw : corpus) {
      assertAgree(raw);
    }
  }

  @Test
  void realNames_takeTheFastPath() {
    for (String raw : REAL) {
      assertTrue(HostSyntax.normalName(raw), raw);
      assertSame(raw, HostKey.of(raw, 443).host(), raw); // no copy either
    }
  }

  @Test
  void literalsUppercaseAndTrailingDots_takeTheFullPath() {
    for (String raw : List.of("127.0.0.1", "1.2.3", "Example.com", "example.com.", "bücher.de",
        "::1", LABEL_63 + "a.com", name(254), "a-.com", "-a.com", "a..b")) {
      assertFalse(HostSyntax.normalName(raw), raw);
    }
  }

  @Test
  void randomNames_normalizeAlikeOnBothPaths() {
    String alphabet = "abz09-._.-aA1Z\u00fc\u3002 :";
    SplittableRandom random = new SplittableRandom(12);
    int fast = 0;
    for (int i = 0; i < 300_000; i++) {
      int length = random.nextInt(12);
      StringBuilder raw = new StringBuilder(length);
      for (int j = 0; j < length; j++) {
        raw.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      fast += assertAgree(raw.toString()) ? 1 : 0;
    }
    assertTrue(fast > 10_000, "the sample reached the fast path " + fast + " times");
  }

  @Test
  void randomLongNames_normalizeAlikeOnBothPaths() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder raw = new StringBuilder();
      int labels = 1 + random.nextInt(6);
      for (int label = 0; label < labels; label++) {
        if (label > 0) {
          raw.append('.');
        }
        int length = 58 + random.nextInt(8); // around the 63-character label limit
        for (int j = 0; j < length; j++) {
          raw.append((char) ('a' + random.nextInt(3)));
        }
      }
      assertAgree(raw.toString());
    }
  }

  /** Asserts both paths agree on {@code raw}; returns whether it took the fast path. */
  private static boolean assertAgree(String raw) {
    String full;
    try {
      full = HostSyntax.normalizeFully(raw);
    } catch (IllegalArgumentException e) {
      full = null;
    }
    boolean fast = HostSyntax.normalName(raw);
    if (fast) {
      assertEquals(full, raw, () -> "fast path kept \"" + raw + "\"");
    }
    String viaNormalize;
    try {
      viaNormalize = HostSyntax.normalize(raw);
    } catch (IllegalArgumentException e) {
      viaNormalize = null;
    }
    assertEquals(full, viaNormalize, () -> "\"" + raw + "\"");
    return fast;
  }

  /** A valid name of exactly {@code length} characters, in labels of 50. */
  private static String name(int length) {
    StringBuilder out = new StringBuilder(length);
    while (out.length() < length) {
      if (out.length() % 51 == 50) {
        out.append('.');
      } else {
        out.append('b');
      }
    }
    return out.toString();
  }
}
