package io.regulator.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.regulator.HostKey;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.SlotTimeoutException;
import io.regulator.okhttp.CountingServer.Reply;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link RegulatedOkHttp#enqueue}: a call waiting for its slot holds no dispatcher thread. */
class NonBlockingEnqueueTest extends OkHttpFixture {
  private static final int CALLERS = 12;

  @BeforeEach
  void start() throws IOException {
    startFixture();
  }

  @AfterEach
  void stop() throws Exception {
    stopFixture();
  }

  private static CompletableFuture<Response> enqueue(RegulatedOkHttp okhttp, Call call) {
    CompletableFuture<Response> result = new CompletableFuture<>();
    okhttp.enqueue(call, new Callback() {
      @Override
      public void onFailure(Call failed, IOException e) {
        result.completeExceptionally(e);
      }

      @Override
      public void onResponse(Call done, Response response) {
        result.complete(response);
      }
    });
    return result;
  }

  private CompletableFuture<Void> holdRequests() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    server.script((n, exchange) -> {
      release.get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
    return release;
  }

  @Test
  void aCallEnqueuedFromAThread_isNotHeldByIt_soThatThreadsNextBlockingAcquireOfTheHostWaits()
      throws Exception {
    HostKey key = server.key();
    regulator.setLimit(key, 1);
    CompletableFuture<Void> release = holdRequests();
    RegulatedOkHttp okhttp = okhttp("enqueuer");
    CompletableFuture<Integer> answer =
        enqueue(okhttp, okhttp.client().newCall(get("/"))).thenApply(Calls::consume);
    await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == 1);
    RegulatedPool raw = regulator.newPool("raw");

    // The call's slot, taken free by enqueue on this thread, once named this thread its holder:
    // this acquire was then refused at once as a self-deadlock while the call ran elsewhere.
    assertThrows(SlotTimeoutException.class, () -> raw.acquire(key, Duration.ofMillis(100)));

    release.complete(null);
    assertEquals(200, answer.get(10, TimeUnit.SECONDS));
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.inUse(key) == 0);
    raw.acquire(key, Duration.ofSeconds(5)).close();
    assertEquals(0, regulator.inUse(key), "back to baseline");
  }

  @Test
  void callsWaitingForASlot_runOnNoDispatcherThread_andAllComplete() throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> release = holdRequests();
    RegulatedOkHttp okhttp = okhttp("non-blocking");
    OkHttpClient client = okhttp.client();

    List<CompletableFuture<Integer>> started = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      started.add(enqueue(okhttp, client.newCall(get("/"))).thenApply(Calls::consume));
    }
    await().atMost(5, TimeUnit.SECONDS)
        .until(() -> server.inProgress() == LIMIT && regulator.waiting(key) == CALLERS - LIMIT);
    assertEquals(LIMIT, client.dispatcher().runningCallsCount(), "only calls with a slot run");
    assertEquals(0, client.dispatcher().queuedCallsCount());
    release.complete(null);
    for (CompletableFuture<Integer> call : started) {
      assertEquals(200, call.get(10, TimeUnit.SECONDS));
    }
    assertEquals(CALLERS, server.requests());
    assertBaseline(key);
  }

  @Test
  void control_plainEnqueue_parksADispatcherThreadPerWaitingCall() throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> release = holdRequests();
    OkHttpClient client = okhttp("blocking").client();

    // Each body is read in its callback: a response left unread holds its slot, and the waiters
    // are served in the order they reached the pool, not the order they were enqueued.
    List<CompletableFuture<Integer>> started = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      started.add(Calls.ASYNC.status(client, get("/")));
    }
    await().atMost(5, TimeUnit.SECONDS)
        .until(() -> server.inProgress() == LIMIT && regulator.waiting(key) == CALLERS - LIMIT);
    assertEquals(CALLERS, client.dispatcher().runningCallsCount(), "each waiter holds a dispatcher thread");
    release.complete(null);
    for (CompletableFuture<Integer> call : started) {
      assertEquals(200, call.get(10, TimeUnit.SECONDS));
    }
    assertBaseline(key);
  }

  @Test
  void cancelWhileWaiting_failsTheCall_andLeavesNothingHeld() throws Exception {
    HostKey key = server.key();
    regulator.setLimit(key, 1);
    RegulatedPool holder = closeLater(regulator.newPool("holder"));
    Slot held = holder.acquire(key);
    RegulatedOkHttp okhttp = okhttp("cancelled");
    Call call = okhttp.client().newCall(get("/never"));
    CompletableFuture<Response> result = enqueue(okhttp, call);
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(key) == 1);

    call.cancel();
    if (CancelSignal.supported()) {
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(key) == 0);
    }
    held.release();
    ExecutionException failed = assertThrows(ExecutionException.class, () -> result.get(10, TimeUnit.SECONDS));
    assertInstanceOf(IOException.class, failed.getCause());
    assertEquals(0, server.requests());
    assertBaseline(key);
  }

  @Test
  void aClosedPool_failsTheCallWithSlotUnavailable() throws Exception {
    RegulatedOkHttp okhttp = okhttp("closed");
    okhttp.close();
    CompletableFuture<Response> result = enqueue(okhttp, okhttp.client().newCall(get("/")));
    ExecutionException failed = assertThrows(ExecutionException.class, () -> result.get(10, TimeUnit.SECONDS));
    SlotUnavailableException refused = assertInstanceOf(SlotUnavailableException.class, failed.getCause());
    assertInstanceOf(PoolClosedException.class, refused.getCause());
    Call executed = okhttp.client().newCall(get("/"));
    assertThrows(SlotUnavailableException.class, executed::execute);
    assertEquals("Already Executed", assertThrows(IllegalStateException.class,
        () -> okhttp.enqueue(executed, new Callback() {
          @Override
          public void onFailure(Call call, IOException e) {}

          @Override
          public void onResponse(Call call, Response response) {}
        })).getMessage());
    assertBaseline(server.key());
  }
}
