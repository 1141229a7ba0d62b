/**
 * Reactor Netty on the regulator: a {@code ConnectionProvider} that takes a slot per leased
 * connection without blocking an event loop, and gives it back when the connection returns to its
 * pool or closes.
 */
module io.regulator.reactor.netty {
  requires transitive io.regulator;
  requires transitive reactor.netty.core;
  requires transitive reactor.netty.http; // HttpClientResponse in RetryableStatusException.check
  // Only PolicyRetry and RetryableStatusException need it, and only when the application uses them.
  requires static io.regulator.http;
  requires transitive reactor.core;
  requires transitive org.reactivestreams;
  requires io.netty.common;
  requires io.netty.codec.http;
  requires io.netty.transport;
  requires transitive io.netty.resolver; // AddressResolverGroup is in acquire()'s signature

  exports io.regulator.reactor.netty;
}
