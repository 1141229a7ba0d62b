/**
 * An application that caps Reactor Netty's HttpClient: io.regulator.reactor.netty, Reactor Netty's
 * automatic modules and Netty 4.2's explicit ones. No regulator-http on its module path: that
 * module is optional in io.regulator.reactor.netty (requires static), for PolicyRetry only.
 * Reactor Netty's automatic modules read Netty's explicit modules but do not re-export them: a type
 * of Netty the application names (HttpResponseStatus here) needs its module required.
 */
module consumer.reactornetty {
  requires io.regulator.core;
  requires io.regulator.reactor.netty;
  requires reactor.netty.core;
  requires reactor.netty.http;
  requires reactor.core;
  requires io.netty.codec.http;
  requires jdk.httpserver;
}
