package io.regulator.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.okhttp.CountingServer.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The builder's checks, what a slot covers at its edges, closing, and the module's descriptor. */
class RegulatedOkHttpTest extends OkHttpFixture {

  @BeforeEach
  void start() throws IOException {
    startFixture();
  }

  @AfterEach
  void stop() throws Exception {
    stopFixture();
  }

  @Test
  void badInput_getsAnErrorNamingTheParameterAndValue() {
    RegulatedPool pool = closeLater(regulator.newPool("checked"));
    assertEquals("clientBuilder", assertThrows(NullPointerException.class,
        () -> RegulatedOkHttp.builder((OkHttpClient.Builder) null, pool)).getMessage());
    assertEquals("base", assertThrows(NullPointerException.class,
        () -> RegulatedOkHttp.builder((OkHttpClient) null, pool)).getMessage());
    assertEquals("pool", assertThrows(NullPointerException.class,
        () -> RegulatedOkHttp.builder(new OkHttpClient.Builder(), null)).getMessage());
    RegulatedOkHttp.Builder builder = RegulatedOkHttp.builder(new OkHttpClient.Builder(), pool);
    assertEquals("acquireTimeout < 0: PT-1S", assertThrows(IllegalArgumentException.class,
        () -> builder.acquireTimeout(Duration.ofSeconds(-1))).getMessage());
    assertEquals("acquireTimeout", assertThrows(NullPointerException.class,
        () -> builder.acquireTimeout(null)).getMessage());
    assertEquals("retry", assertThrows(NullPointerException.class, () -> builder.retryPolicy(null)).getMessage());
    assertEquals("leakListener", assertThrows(NullPointerException.class,
        () -> builder.leakListener(null)).getMessage());
  }

  @Test
  void aClientRegulatedTwice_isRefused_namingItsPool() {
    RegulatedOkHttp once = okhttp("first");
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> RegulatedOkHttp.builder(once.client(), regulator.newPool("second")));
    assertEquals("client is already regulated by pool 'first'", twice.getMessage());
  }

  @Test
  void theRegulatorsInterceptor_runsAfterTheApplicationsOwn() {
    Interceptor mine = chain -> chain.proceed(chain.request());
    OkHttpClient client = okhttp("ordered", builder -> builder).client();
    RegulatedOkHttp ordered = closeLater(RegulatedOkHttp.builder(clientBuilder().addInterceptor(mine),
        regulator.newPool("ordered-too")).build());
    List<Interceptor> interceptors = ordered.client().interceptors();
    assertEquals(mine, interceptors.get(0));
    assertTrue(interceptors.get(interceptors.size() - 1) instanceof SlotInterceptor);
    assertEquals(1, client.interceptors().size(), "no retry interceptor without a retry policy");
  }

  @Test
  void aResponseWithNoBodyToRead_givesItsSlotBackWithoutAClose() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> Reply.empty(200));
    OkHttpClient client = okhttp("empty").client();

    Response response = client.newCall(get("/empty")).execute();
    assertEquals(200, response.code());
    assertEquals(0, regulator.inUse(key), "OkHttp let go of the exchange; so did the slot");
    Response head = client.newCall(new Request.Builder().url(server.uri("/head").toString()).head().build())
        .execute();
    assertEquals(200, head.code());
    assertEquals(0, regulator.inUse(key));
    assertBaseline(key);
  }

  @Test
  void aBodyReadToItsEnd_givesItsSlotBack_beforeItIsClosed() throws Exception {
    HostKey key = server.key();
    OkHttpClient client = okhttp("read").client();

    Response response = client.newCall(get("/")).execute();
    assertEquals(1, regulator.inUse(key));
    assertEquals("ok", response.body().source().readUtf8());
    assertEquals(0, regulator.inUse(key));
    response.close();
    assertBaseline(key);
  }

  @Test
  void clientsDerivedWithNewBuilder_shareTheSlots() throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> release = new CompletableFuture<>();
    server.script((n, exchange) -> {
      release.get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
    RegulatedOkHttp okhttp = okhttp("shared");
    OkHttpClient derived = okhttp.client().newBuilder().readTimeout(Duration.ofSeconds(20)).build();

    CompletableFuture<Integer> first = Calls.SYNC.status(okhttp.client(), get("/"));
    CompletableFuture<Integer> second = Calls.ASYNC.status(derived, get("/"));
    await().atMost(5, TimeUnit.SECONDS).until(() -> okhttp.pool().inUse(key) == 2);
    release.complete(null);
    assertEquals(200, first.get(10, TimeUnit.SECONDS));
    assertEquals(200, second.get(10, TimeUnit.SECONDS));
    assertBaseline(key);
  }

  @Test
  void closingAClientDerivedFromABase_leavesTheBaseRunning() throws Exception {
    HostKey key = server.key();
    OkHttpClient base = clientBuilder().build();
    try {
      RegulatedOkHttp okhttp = RegulatedOkHttp.builder(base, regulator.newPool("derived")).build();
      assertEquals(200, Calls.ASYNC.status(okhttp.client(), get("/")).get(10, TimeUnit.SECONDS));
      okhttp.close();
      okhttp.close();
      assertTrue(okhttp.isClosed());
      assertFalse(base.dispatcher().executorService().isShutdown());
      assertEquals(200, Calls.ASYNC.status(base, get("/")).get(10, TimeUnit.SECONDS));
      assertBaseline(key);
    } finally {
      base.dispatcher().executorService().shutdown();
      base.connectionPool().evictAll();
    }
  }

  @Test
  void closingAnOwnedClient_shutsItsDispatcherDown() throws Exception {
    RegulatedOkHttp okhttp = okhttp("owned");
    assertEquals(200, Calls.ASYNC.status(okhttp.client(), get("/")).get(10, TimeUnit.SECONDS));
    okhttp.close();
    assertTrue(okhttp.client().dispatcher().executorService().isShutdown());
    assertEquals(0, okhttp.client().connectionPool().connectionCount());
    assertBaseline(server.key());
  }

  @Test
  void descriptor_exportsTheApiPackageOnly() throws Exception {
    Path classes = Path.of(RegulatedOkHttp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertEquals("io.regulator.okhttp", descriptor.name());
    assertEquals(Set.of("io.regulator.okhttp"),
        descriptor.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertEquals(Set.of("io.regulator", "io.regulator.http", "okhttp3", "okio", "java.base"),
        descriptor.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
  }
}
