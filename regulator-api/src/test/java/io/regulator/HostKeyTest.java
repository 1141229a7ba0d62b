package io.regulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class HostKeyTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "Example.COM          | example.com",
      "example.com.         | example.com",
      "bücher.de            | xn--bcher-kva.de",
      "BÜCHER.de            | xn--bcher-kva.de",
      "example\u3002com     | example.com",
      "example\uFF0Ecom     | example.com",
      "example\uFF61com     | example.com",
      "my_service           | my_service",
      "127.0.0.1            | 127.0.0.1",
      "[::1]                | ::1",
      "0:0:0:0:0:0:0:1      | ::1",
      "[2001:DB8:0:0:0:0:0:1] | 2001:db8::1",
      "2001:db8:0:0:1:0:0:1 | 2001:db8::1:0:0:1",
      "2001:0db8::0001      | 2001:db8::1",
      "2001:db8:0:1:1:1:1:1 | 2001:db8:0:1:1:1:1:1",
      "::ffff:192.0.2.1     | ::ffff:192.0.2.1",
      "::                   | ::",
  })
  void spellingsOfOneHost_normalizeToOneKey(String raw, String expected) {
    assertEquals(expected, HostKey.of(raw.strip(), 443).host());
  }

  @Test
  void ipv6Spellings_areEqualKeys() {
    assertEquals(HostKey.of("[::1]", 8080), HostKey.of("0:0:0:0:0:0:0:1", 8080));
    assertEquals(HostKey.of("[::1]", 8080).hashCode(), HostKey.of("::0:1", 8080).hashCode());
  }

  @Test
  void toString_bracketsIpv6AndAppendsPort() {
    assertEquals("example.com:443", HostKey.of("example.com", 443).toString());
    assertEquals("[2001:db8::1]:8080", HostKey.of("2001:db8::1", 8080).toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", ".", "a..b", "-a.com", "a-.com", "a b.com", "1.2.3", "1.2.3.256",
      "01.2.3.4", "1.2.3.4.5", "[::1", "1:2:3:4:5:6:7:8:9", "1::2::3", "::g", "fe80::1%eth0",
      "12345::1"})
  void invalidHosts_areRefusedNamingTheValue(String raw) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HostKey.of(raw, 80));
    assertTrue(e.getMessage().contains("\"" + raw + "\""), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"host:80", "api.partner.example:443", "10.0.0.1:8080", "[::1]:80", "host:"})
  void hostWithAPort_isRefusedSayingThePortDoesNotBelongThere(String raw) {
    // Failed before: "host:80" read as an IPv6 literal, 'IPv6 group "host" is not 1 to 4 hex digits'.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostKey.of(raw, 80));
    assertEquals("invalid host \"" + raw + "\": a port does not belong in the host; pass the host alone and the"
        + " port as the second argument, or use HostKey.of(URI)", e.getMessage());
  }

  @Test
  void labelOf64Characters_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> HostKey.of("a".repeat(64) + ".com", 80));
    assertEquals("a".repeat(63) + ".com", HostKey.of("a".repeat(63) + ".com", 80).host());
  }

  @Test
  void nullHost_throwsNullPointerNamingIt() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> HostKey.of(null, 80));
    assertEquals("host", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 65_536})
  void portsOutsideRange_areRefusedNamingTheValue(int port) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HostKey.of("example.com", port));
    assertEquals("port outside 1..65535: " + port, e.getMessage());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "http://Example.com/path, example.com:80",
      "https://example.com, example.com:443",
      "ws://example.com, example.com:80",
      "WSS://example.com, example.com:443",
      "https://user@example.com:8443/x?q, example.com:8443",
      "http://[::1]:9000/, [::1]:9000",
      "http://my_service:8080/, my_service:8080",
      "http://my_service/, my_service:80",
  })
  void uris_giveHostAndSchemeDefaultPort(String uri, String expected) {
    assertEquals(expected, HostKey.of(URI.create(uri)).toString());
  }

  @Test
  void uriWithoutPortOrKnownScheme_isRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HostKey.of(URI.create("ftp://example.com/")));
    assertTrue(e.getMessage().contains("ftp://example.com/"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HostKey.of(URI.create("mailto:a@b.c")));
  }

  @Test
  void keys_surviveSerialization_soExceptionsCarryingThemDo() throws Exception {
    HostKey key = HostKey.of("[2001:db8::1]", 8443);
    var bytes = new java.io.ByteArrayOutputStream();
    try (var out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(new SlotTimeoutException(key, 4, 4, 2, java.time.Duration.ofMillis(5), ""));
    }
    try (var in = new java.io.ObjectInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(key, ((SlotTimeoutException) in.readObject()).key());
    }
  }

  @Test
  void keys_sortByHostThenPort() {
    var sorted = new TreeSet<HostKey>();
    sorted.add(HostKey.of("b.com", 80));
    sorted.add(HostKey.of("a.com", 443));
    sorted.add(HostKey.of("a.com", 80));
    assertEquals("[a.com:80, a.com:443, b.com:80]", sorted.toString());
  }
}
