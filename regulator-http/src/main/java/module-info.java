/**
 * Real HTTP pools on the regulator: a wrapper of the JDK {@code java.net.http.HttpClient}, connection
 * managers for Apache HttpClient 5 (classic and async), and a retry policy that never holds a slot
 * while it waits. Apache HttpClient is optional: an application that uses only the JDK client needs
 * no jar of it.
 */
module io.regulator.http {
  requires transitive io.regulator;
  requires transitive java.net.http;
  // Static: only the io.regulator.http.apache package needs them, and only when the application uses it.
  requires static org.apache.httpcomponents.client5.httpclient5;
  requires static org.apache.httpcomponents.core5.httpcore5;

  exports io.regulator.http;
  exports io.regulator.http.jdk;
  exports io.regulator.http.apache;
}
