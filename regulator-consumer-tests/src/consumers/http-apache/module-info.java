/** An application that caps Apache HttpClient 5: it requires HttpClient 5 itself. */
module consumer.apache {
  requires io.regulator.core;
  requires io.regulator.http;
  requires org.apache.httpcomponents.client5.httpclient5;
  requires org.apache.httpcomponents.core5.httpcore5;
  requires jdk.httpserver;
}
