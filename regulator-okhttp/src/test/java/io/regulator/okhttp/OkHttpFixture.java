package io.regulator.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/** A loopback server, a regulator of limit 4, and regulated OkHttp clients that are closed after each test. */
abstract class OkHttpFixture {
  static final int LIMIT = 4;

  CountingServer server;
  HostRegulator regulator;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  void startFixture() throws IOException {
    server = new CountingServer();
    regulator = HostRegulators.builder().defaultLimit(LIMIT).acquireTimeout(Duration.ofSeconds(10)).build();
  }

  void stopFixture() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    regulator.close();
    server.close();
  }

  <T extends AutoCloseable> T closeLater(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  /** A client builder whose dispatcher is no tighter than the regulator: 64 per host. */
  static OkHttpClient.Builder clientBuilder() {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequestsPerHost(64);
    return new OkHttpClient.Builder().dispatcher(dispatcher);
  }

  RegulatedOkHttp okhttp(String pool, UnaryOperator<RegulatedOkHttp.Builder> config) {
    return closeLater(config.apply(RegulatedOkHttp.builder(clientBuilder(), regulator.newPool(pool))).build());
  }

  RegulatedOkHttp okhttp(String pool) {
    return okhttp(pool, builder -> builder);
  }

  Request get(String path) {
    return new Request.Builder().url(server.uri(path).toString()).build();
  }

  /** Every slot back, nobody waiting, and the server never saw more than the limit at once. */
  void assertBaseline(HostKey key) {
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
    assertEquals(0, regulator.waiting(key));
    assertTrue(server.maxInProgress() <= regulator.limit(key),
        "server saw " + server.maxInProgress() + " in progress, limit " + regulator.limit(key));
  }
}
