package io.regulator;

import java.io.Serializable;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * A normalized host and port: the key under which the node-wide registry counts slots.
 *
 * <p>One host has one key however it is spelled: names are lowercased ASCII with IDNs in their
 * punycode form and the root dot dropped; IPv6 literals take their RFC 5952 canonical form
 * without brackets; IPv4 literals are a dotted quad. Invalid hosts and ports are refused with an
 * {@link IllegalArgumentException} that names the bad value.
 *
 * <p>Immutable and thread-safe.
 */
public final class HostKey implements Comparable<HostKey>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String host;
  private final int port;

  /** Cached: a key is looked up in the host table on every acquire. */
  private final transient int hash;

  private HostKey(String host, int port) {
    this.host = host;
    this.port = port;
    this.hash = 31 * host.hashCode() + port;
  }

  /**
   * Returns the key of a host and port.
   *
   * @param host a DNS name (IDN allowed), an IPv4 dotted quad, or an IPv6 literal with or
   *     without brackets
   * @param port 1 to 65535
   * @throws NullPointerException if {@code host} is null
   * @throws IllegalArgumentException if the host is blank or invalid, or the port is out of range
   */
  public static HostKey of(String host, int port) {
    Objects.requireNonNull(host, "host");
    requirePort(port);
    String normalized;
    try {
      normalized = HostSyntax.normalize(host);
    } catch (IllegalArgumentException e) {
      throw withPortHint(host, e);
    }
    return new HostKey(normalized, port);
  }

  /**
   * "host:80" or "[::1]:80" fail as IPv6 literals; say what the caller most likely did instead
   * (only on the failure path, so the normalization itself is untouched).
   */
  private static IllegalArgumentException withPortHint(String host, IllegalArgumentException e) {
    int colon = host.indexOf(':');
    boolean namePort = !host.startsWith("[") && colon >= 0 && colon == host.lastIndexOf(':');
    boolean bracketPort = host.startsWith("[") && host.indexOf("]:") > 0;
    if (!namePort && !bracketPort) {
      return e;
    }
    return new IllegalArgumentException("invalid host \"" + host + "\": a port does not belong in the host;"
        + " pass the host alone and the port as the second argument, or use HostKey.of(URI)", e);
  }

  /**
   * Returns the key of a URI's host and port; a URI without a port takes its scheme's default
   * (80 for {@code http} and {@code ws}, 443 for {@code https} and {@code wss}).
   *
   * @throws NullPointerException if {@code uri} is null
   * @throws IllegalArgumentException if the URI has no host, or no port and a scheme without a
   *     default port
   */
  public static HostKey of(URI uri) {
    Objects.requireNonNull(uri, "uri");
    String host = uri.getHost();
    int port = uri.getPort();
    if (host == null) {
      // java.net.URI leaves host null for registry-based authorities such as "my_service:8080"
      // or unescaped non-ASCII names; read them from the authority ourselves.
      String authority = uri.getAuthority();
      if (authority == null || authority.isEmpty()) {
        throw new IllegalArgumentException("uri has no host: " + uri);
      }
      authority = authority.substring(authority.lastIndexOf('@') + 1);
      int colon = authority.lastIndexOf(':');
      if (colon >= 0 && authority.indexOf(']', colon) < 0) {
        host = authority.substring(0, colon);
        port = parsePort(authority.substring(colon + 1), uri);
      } else {
        host = authority;
      }
    }
    if (port == -1) {
      port = defaultPort(uri);
    }
    requirePort(port);
    return new HostKey(HostSyntax.normalize(host), port);
  }

  private static int parsePort(String text, URI uri) {
    if (text.isEmpty()) {
      return -1;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("uri has an invalid port: " + uri, e);
    }
  }

  private static int defaultPort(URI uri) {
    int port = defaultPort(uri.getScheme());
    if (port == -1) {
      throw new IllegalArgumentException(
          "uri has no port and its scheme has no default port: " + uri);
    }
    return port;
  }

  /**
   * The default port of a URI scheme: 80 for {@code http} and {@code ws}, 443 for {@code https}
   * and {@code wss}, in any case; -1 for any other scheme or none. {@link LastHostKey} reads it
   * too, so that both agree on what a URI without a port means.
   */
  static int defaultPort(String scheme) {
    // The usual spellings first: lowercasing the scheme was a tenth of a per-request key.
    if ("https".equals(scheme)) {
      return 443;
    }
    if ("http".equals(scheme)) {
      return 80;
    }
    if (scheme != null) {
      switch (scheme.toLowerCase(Locale.ROOT)) {
        case "http":
        case "ws":
          return 80;
        case "https":
        case "wss":
          return 443;
        default:
          break;
      }
    }
    return -1;
  }

  private static void requirePort(int port) {
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port outside 1..65535: " + port);
    }
  }

  /** Validates a deserialized key as {@link #of(String, int)} would, so no stream forges one. */
  private Object readResolve() {
    return of(host, port);
  }

  /** The normalized host: lowercase ASCII name, dotted-quad IPv4, or canonical IPv6 without brackets. */
  public String host() {
    return host;
  }

  /** The port, 1 to 65535. */
  public int port() {
    return port;
  }

  @Override
  public int compareTo(HostKey other) {
    int byHost = host.compareTo(other.host);
    return (byHost != 0) ? byHost : Integer.compare(port, other.port);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof HostKey)) {
      return false;
    }
    HostKey other = (HostKey) o;
    // The cached hash first: it rejects another host without reading either host's characters.
    return port == other.port && hash == other.hash && host.equals(other.host);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Returns {@code host:port}, with IPv6 hosts in brackets: {@code [2001:db8::1]:8080}. */
  @Override
  public String toString() {
    return (host.indexOf(':') >= 0) ? "[" + host + "]:" + port : host + ":" + port;
  }
}
