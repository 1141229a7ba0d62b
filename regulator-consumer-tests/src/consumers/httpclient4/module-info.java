/**
 * An application that caps Apache HttpClient 4.5. Neither HttpClient 4.5 nor io.regulator.httpclient4
 * is a named module: both are automatic modules, named by their manifests. An automatic module
 * re-exports nothing explicit, so the application requires io.regulator.http itself for RetryPolicy.
 */
module consumer.httpclient4 {
  requires io.regulator.core;
  requires io.regulator.httpclient4;
  requires io.regulator.http;
  requires org.apache.httpcomponents.httpclient;
  requires org.apache.httpcomponents.httpcore;
  requires jdk.httpserver;
}
