/**
 * OkHttp on the regulator: {@link io.regulator.okhttp.RegulatedOkHttp} builds an {@code OkHttpClient}
 * whose calls each hold a slot of their host, from before the call goes to the network until its
 * response body is closed or the call fails, and gives the client a close. Works with OkHttp 5
 * ({@code okhttp-jvm}) and 4.12.
 */
module io.regulator.okhttp {
  requires transitive io.regulator;
  // RetryPolicy, RetryAfter and Sleeper; that module's HTTP clients stay optional there.
  requires transitive io.regulator.http;
  // A real module in OkHttp 5; the automatic module of the same name in 4.x.
  requires transitive okhttp3;
  requires okio;

  exports io.regulator.okhttp;
}
