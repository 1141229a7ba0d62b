package io.regulator.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.SlotLeak;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scenario 6: a response body dropped unclosed is reclaimed and reported, sync and async. */
class OkHttpLeakTest extends OkHttpFixture {
  private final List<SlotLeak> leaks = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    startFixture();
  }

  @AfterEach
  void stop() throws Exception {
    stopFixture();
  }

  private void awaitLeak() {
    await().atMost(10, TimeUnit.SECONDS).until(() -> {
      System.gc();
      return !leaks.isEmpty();
    });
  }

  @Test
  void neverClosedResponse_isReclaimedAndReportedWithWhereItWasAcquired() throws Exception {
    HostKey key = server.key();
    OkHttpClient client = okhttp("leaky", builder -> builder.recordLeakOrigins(true).leakListener(leaks::add))
        .client();

    long before = System.nanoTime();
    dropAResponseUnclosed(client);
    assertEquals(1, regulator.inUse(key));
    awaitLeak();
    Duration sinceBefore = Duration.ofNanos(System.nanoTime() - before);
    SlotLeak leak = leaks.get(0);
    assertEquals(key, leak.key());
    assertEquals("leaky", leak.poolName());
    assertTrue(leak.reclaimed());
    assertTrue(!leak.age().isNegative() && leak.age().compareTo(sinceBefore) <= 0,
        "age " + leak.age() + " outside [0, " + sinceBefore + "]");
    // OkHttp's, Okio's and this module's frames are cut: the first frame is the application's call.
    StackTraceElement first = leak.acquisitionSite().getStackTrace()[0];
    assertEquals(OkHttpLeakTest.class.getName(), first.getClassName());
    assertEquals("dropAResponseUnclosed", first.getMethodName());
    assertTrue(leak.acquisitionSite().getMessage().contains("GET http://127.0.0.1:" + server.port() + "/leak"),
        leak.acquisitionSite().getMessage());
    assertTrue(!leak.acquisitionSite().getMessage().contains("secret"), "the query is left out");
    assertTrue(leak.toString().contains("pool 'leaky' became unreachable after")
        && leak.toString().contains("(acquired at " + first + ")"), leak.toString());
    assertBaseline(key);
    assertEquals(200, Calls.SYNC.status(client, get("/after")).get(10, TimeUnit.SECONDS));
    assertEquals(1, leaks.size());
  }

  private void dropAResponseUnclosed(OkHttpClient client) throws IOException {
    Response response = client.newCall(get("/leak?token=secret")).execute();
    assertEquals(200, response.code());
  }

  @Test
  void neverClosedAsyncResponse_isReclaimedAndReported_namingTheRequest() throws Exception {
    HostKey key = server.key();
    OkHttpClient client = okhttp("leaky-async", builder -> builder.recordLeakOrigins(true).leakListener(leaks::add))
        .client();
    CompletableFuture<Integer> seen = new CompletableFuture<>();
    client.newCall(get("/leak")).enqueue(new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        seen.completeExceptionally(e);
      }

      @Override
      public void onResponse(Call call, Response response) {
        seen.complete(response.code()); // and drops it unclosed
      }
    });
    assertEquals(200, seen.get(10, TimeUnit.SECONDS));
    awaitLeak();
    SlotLeak leak = leaks.get(0);
    assertEquals(key, leak.key());
    assertTrue(leak.reclaimed());
    // Taken on a dispatcher thread: no application frame, so the message names the request.
    assertTrue(leak.acquisitionSite().getMessage().contains("GET http://127.0.0.1:" + server.port() + "/leak"),
        leak.acquisitionSite().getMessage());
    assertBaseline(key);
    assertEquals(200, Calls.ASYNC.status(client, get("/after")).get(10, TimeUnit.SECONDS));
    assertEquals(1, leaks.size());
  }

  @Test
  void leakListenerThatThrows_changesNothing_andNoSiteIsRecordedByDefault() throws Exception {
    HostKey key = server.key();
    OkHttpClient client = okhttp("leaky", builder -> builder.leakListener(leak -> {
      leaks.add(leak);
      throw new IllegalStateException("listener failure, expected by the test");
    })).client();

    dropAResponseUnclosed(client);
    awaitLeak();
    SlotLeak leak = leaks.get(0);
    assertNull(leak.acquisitionSite());
    assertTrue(leak.toString().endsWith("(acquisition site not recorded)"), leak.toString());
    assertBaseline(key);
    assertEquals(200, Calls.SYNC.status(client, get("/after")).get(10, TimeUnit.SECONDS));
    assertEquals(1, leaks.size());
  }

  @Test
  void aStreamStillBeingRead_isNotReclaimed_evenWithTheResponseDropped() throws Exception {
    HostKey key = server.key();
    server.script((n, exchange) -> CountingServer.Reply.endlessBody());
    OkHttpClient client = okhttp("reader", builder -> builder.leakListener(leaks::add)).client();

    java.io.InputStream stream = client.newCall(get("/stream")).execute().body().byteStream();
    byte[] chunk = new byte[8192];
    for (int i = 0; i < 3; i++) {
      System.gc();
      assertTrue(stream.read(chunk) > 0);
    }
    assertTrue(leaks.isEmpty(), "a body whose stream is held is in use, not leaked");
    assertEquals(1, regulator.inUse(key));
    stream.close();
    assertEquals(0, regulator.inUse(key));
    assertBaseline(key);
  }
}
