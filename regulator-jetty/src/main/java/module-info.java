/**
 * Jetty 12 {@code HttpClient} on the regulator: a {@code ConnectionPool} decorator, installed through
 * the transport's pool factory, whose acquire never blocks and whose destination is woken when a
 * slot of its host is given back anywhere on the node; and a retry helper that gives the slot back
 * before every backoff.
 */
module io.regulator.jetty {
  requires transitive io.regulator;
  requires transitive io.regulator.http;
  requires transitive org.eclipse.jetty.client;

  exports io.regulator.jetty;
}
