/** An application that caps the JDK client only: no HttpClient 5 jar on its module path. */
module consumer.jdk {
  requires io.regulator.core;
  requires io.regulator.http;
  requires jdk.httpserver;
}
