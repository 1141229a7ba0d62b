package io.regulator;

import java.net.URI;

/**
 * The last {@link HostKey} a client built, handed out again while its requests keep to the same
 * host and port: one per client or connection manager, asked for the key of every request.
 *
 * <p>Building a key validates and normalizes the host, about 30 ns on the ASCII fast path; most
 * clients send to one host, or to one at a time, and a hit here costs a field read and a string
 * comparison (identity first: URIs resolved against one base share its host string), or, for the
 * very URI object the key was built from (a client sending one request again, or requests built
 * from one constant URI), one reference comparison. The key
 * returned is always the one {@link HostKey#of(String, int)} or {@link HostKey#of(URI)} returns
 * for the same input, and bad input fails with their exceptions: a miss calls them, and a failure
 * is never remembered.
 *
 * <p>One entry, not a bounded cache of many: measured on the per-request path (see {@code
 * docs/benchmarks.md}, issue 12), a Caffeine cache of (host, port) was slower than building the
 * key at 10,000 hosts and bought about 15 ns at 2 to 100, while one entry costs nothing when it
 * misses. Memory is one key, however many hosts a client talks to.
 *
 * <p>Thread-safe: the entry is immutable and replaced whole through a volatile field; threads of
 * one client that send to different hosts at once each build their keys as without it.
 */
public final class LastHostKey {
  /** The last key built and what it was built from; null until the first. */
  private volatile Entry last;

  /** A cache that remembers nothing yet. */
  public LastHostKey() {}

  /**
   * Returns {@link HostKey#of(String, int) HostKey.of(host, port)}, the same key as last time when
   * {@code host} and {@code port} are too.
   *
   * @throws NullPointerException if {@code host} is null
   * @throws IllegalArgumentException as {@link HostKey#of(String, int)}
   */
  public HostKey of(String host, int port) {
    Entry entry = last;
    if (entry != null && entry.matches(host, port)) {
      return entry.key;
    }
    HostKey key = HostKey.of(host, port);
    last = new Entry(host, port, key, null);
    return key;
  }

  /**
   * Returns {@link HostKey#of(URI) HostKey.of(uri)}, the same key as last time when the URI's host
   * and port (its scheme's default where it has none) are too. A URI that {@link URI#getHost()}
   * finds no host in (a registry-based authority such as {@code my_service:8080}) is keyed afresh
   * each time.
   *
   * @throws NullPointerException if {@code uri} is null
   * @throws IllegalArgumentException as {@link HostKey#of(URI)}
   */
  public HostKey of(URI uri) {
    Entry entry = last;
    if (entry != null && entry.uri == uri && uri != null) {
      return entry.key; // the very URI the key was built from: URIs are immutable
    }
    String host = (uri == null) ? null : uri.getHost();
    if (host == null) {
      return HostKey.of(uri);
    }
    int port = uri.getPort();
    if (port == -1) {
      port = HostKey.defaultPort(uri.getScheme());
    }
    // A port HostKey refuses (-1 for a scheme without a default) never matches: entries hold only
    // the ports of keys that were built.
    if (entry != null && entry.matches(host, port)) {
      return entry.key;
    }
    HostKey key = HostKey.of(uri);
    last = new Entry(host, port, key, uri);
    return key;
  }

  @Override
  public String toString() {
    Entry entry = last;
    return "LastHostKey{" + (entry == null ? "empty" : entry.key.toString()) + "}";
  }

  /**
   * A host as given, its port, and their key. A URI's port is its effective one, so that an entry
   * matches a later host string and port exactly when {@code HostKey.of} would build the same key.
   */
  private static final class Entry {
    final String host;
    final int port;
    final HostKey key;

    /** The URI the key was built from, or null if from a host and port. */
    final URI uri;

    Entry(String host, int port, HostKey key, URI uri) {
      this.host = host;
      this.port = port;
      this.key = key;
      this.uri = uri;
    }

    boolean matches(String otherHost, int otherPort) {
      // equals(null) is false: a null host falls through to HostKey's own NullPointerException.
      return port == otherPort && (host == otherHost || host.equals(otherHost));
    }
  }
}
