package io.regulator.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.PoolClosedException;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import io.regulator.okhttp.CountingServer.Reply;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The cap under load, its control, closing with calls in flight (scenario 1), and cancels. */
class OkHttpCapTest extends OkHttpFixture {
  private static final int CALLERS = 16;

  @BeforeEach
  void start() throws IOException {
    startFixture();
  }

  @AfterEach
  void stop() throws Exception {
    stopFixture();
  }

  /** Holds every request in progress until {@code release} completes. */
  private void holdUntil(CompletableFuture<Void> release) {
    server.script((n, exchange) -> {
      release.get(10, TimeUnit.SECONDS);
      return Reply.ok();
    });
  }

  private List<CompletableFuture<Integer>> startAll(Calls calls, OkHttpClient client, int count) {
    List<CompletableFuture<Integer>> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      started.add(calls.status(client, get("/load")));
    }
    return started;
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void sixteenCallers_neverPutMoreThanTheLimitInProgress_andAllComplete(Calls calls) throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> release = new CompletableFuture<>();
    holdUntil(release);
    OkHttpClient client = okhttp("load").client();

    List<CompletableFuture<Integer>> started = startAll(calls, client, CALLERS);
    await().atMost(5, TimeUnit.SECONDS)
        .until(() -> server.inProgress() == LIMIT && regulator.waiting(key) == CALLERS - LIMIT);
    assertEquals(LIMIT, regulator.inUse(key));
    release.complete(null);
    for (CompletableFuture<Integer> call : started) {
      assertEquals(200, call.get(10, TimeUnit.SECONDS));
    }
    assertEquals(CALLERS, server.requests());
    assertEquals(LIMIT, server.maxInProgress());
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void control_withoutTheRegulator_theSameCallersPassTheLimit(Calls calls) throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    holdUntil(release);
    OkHttpClient plain = clientBuilder().build();
    try {
      List<CompletableFuture<Integer>> started = startAll(calls, plain, CALLERS);
      await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == CALLERS);
      release.complete(null);
      for (CompletableFuture<Integer> call : started) {
        assertEquals(200, call.get(10, TimeUnit.SECONDS));
      }
      assertTrue(server.maxInProgress() > LIMIT, "the control saw only " + server.maxInProgress());
    } finally {
      plain.dispatcher().executorService().shutdown();
      plain.connectionPool().evictAll();
    }
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void closeWithCallsInFlight_givesEverySlotBackAtOnce_toAnotherPoolsWaiter(Calls calls) throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> release = new CompletableFuture<>();
    holdUntil(release);
    RegulatedOkHttp okhttp = okhttp("closing");
    List<CompletableFuture<Integer>> inFlight = startAll(calls, okhttp.client(), LIMIT);
    await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == LIMIT);
    assertEquals(LIMIT, regulator.inUse(key));

    RegulatedPool other = closeLater(regulator.newPool("other"));
    CompletableFuture<Slot> waiter = other.acquireAsync(key, Duration.ofSeconds(10));
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(key) == 1);
    okhttp.close();
    assertTrue(okhttp.pool().isClosed());
    Slot handedOn = waiter.get(5, TimeUnit.SECONDS);
    assertEquals(1, regulator.inUse(key), "only the other pool's slot is out");
    for (CompletableFuture<Integer> call : inFlight) {
      ExecutionException failed = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
      assertInstanceOf(IOException.class, failed.getCause(), "cancelled by the close");
    }
    // Calls after the close fail at once, naming the closed pool.
    ExecutionException after = assertThrows(ExecutionException.class,
        () -> Calls.SYNC.status(okhttp.client(), get("/late")).get(10, TimeUnit.SECONDS));
    SlotUnavailableException refused = assertInstanceOf(SlotUnavailableException.class, after.getCause());
    assertInstanceOf(PoolClosedException.class, refused.getCause());
    // The closed pool's holders let go later: that changes nothing.
    release.complete(null);
    assertEquals(1, regulator.inUse(key));
    handedOn.release();
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void cancelWhileWaitingForASlot_failsTheCall_andLeavesNothingHeld(Calls calls) throws Exception {
    HostKey key = server.key();
    regulator.setLimit(key, 1);
    RegulatedPool holder = closeLater(regulator.newPool("holder"));
    Slot held = holder.acquire(key);
    OkHttpClient client = okhttp("cancelled").client();
    Call call = client.newCall(get("/never"));
    CompletableFuture<Response> result = calls.start(call);
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(key) == 1);

    call.cancel();
    if (CancelSignal.supported()) {
      // OkHttp 5 tells the waiting interceptor: it leaves the queue at once.
      await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(key) == 0);
      assertCanceled(result);
      held.release();
    } else {
      // OkHttp 4 tells no one: the call waits its turn, then fails at once and gives the slot back.
      held.release();
      assertCanceled(result);
    }
    assertEquals(0, server.requests(), "a cancelled call never reached the server");
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void aCallTimeoutWhileWaitingForASlot_endsTheWait_onOkHttp5(Calls calls) throws Exception {
    Assumptions.assumeTrue(CancelSignal.supported(), "OkHttp 4 cannot tell a waiting call of its timeout");
    HostKey key = server.key();
    regulator.setLimit(key, 1);
    RegulatedPool holder = closeLater(regulator.newPool("holder"));
    Slot held = holder.acquire(key);
    OkHttpClient client = closeLater(RegulatedOkHttp.builder(
        clientBuilder().callTimeout(Duration.ofMillis(200)), regulator.newPool("timed"))
        .acquireTimeout(Duration.ofSeconds(30)).build()).client();

    CompletableFuture<Response> result = calls.start(client.newCall(get("/never")));
    // The call timeout cancels the call; the 30 s slot wait ends with it.
    assertCanceled(result);
    assertEquals(0, regulator.waiting(key));
    held.release();
    assertEquals(0, server.requests());
    assertBaseline(key);
  }

  @ParameterizedTest
  @EnumSource(Calls.class)
  void cancelInFlight_givesTheSlotBack(Calls calls) throws Exception {
    HostKey key = server.key();
    CompletableFuture<Void> release = new CompletableFuture<>();
    holdUntil(release);
    Call call = okhttp("cancel-in-flight").client().newCall(get("/slow"));
    CompletableFuture<Response> result = calls.start(call);
    await().atMost(5, TimeUnit.SECONDS).until(() -> server.inProgress() == 1);
    assertEquals(1, regulator.inUse(key));

    call.cancel();
    assertCanceled(result);
    assertEquals(0, regulator.inUse(key));
    release.complete(null);
    assertBaseline(key);
  }

  private static void assertCanceled(CompletableFuture<Response> result) {
    ExecutionException failed = assertThrows(ExecutionException.class, () -> result.get(10, TimeUnit.SECONDS));
    assertInstanceOf(IOException.class, failed.getCause());
  }
}
