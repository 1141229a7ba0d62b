/** An application that caps OkHttp 5: io.regulator.okhttp and OkHttp's own module okhttp3. */
module consumer.okhttp {
  requires io.regulator.core;
  requires io.regulator.okhttp;
  requires okhttp3;
  requires jdk.httpserver;
}
