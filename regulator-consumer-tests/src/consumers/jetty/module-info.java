/** An application that caps Jetty 12.1's HttpClient: io.regulator.jetty and Jetty's own module. */
module consumer.jetty {
  requires io.regulator.core;
  requires io.regulator.jetty;
  requires org.eclipse.jetty.client;
  requires jdk.httpserver;
}
