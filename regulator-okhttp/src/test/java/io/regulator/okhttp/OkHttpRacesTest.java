package io.regulator.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.RegulatedPool;
import io.regulator.Slot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/** Cancels and closes racing grants and exchanges: whatever wins, no slot is lost or counted twice. */
class OkHttpRacesTest extends OkHttpFixture {

  @BeforeEach
  void start() throws IOException {
    startFixture();
  }

  @AfterEach
  void stop() throws Exception {
    stopFixture();
  }

  private static void race(Runnable first, Runnable second) throws Exception {
    CyclicBarrier barrier = new CyclicBarrier(2);
    Thread other = new Thread(() -> {
      awaitAll(barrier);
      second.run();
    });
    other.start();
    awaitAll(barrier);
    first.run();
    other.join(TimeUnit.SECONDS.toMillis(10));
  }

  private static void awaitAll(CyclicBarrier barrier) {
    try {
      barrier.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The call's outcome: its status, or -1 if it failed with an IOException. */
  private static int outcome(CompletableFuture<Response> result) {
    try {
      return Calls.consume(result.get(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      Throwable cause = (e.getCause() instanceof CompletionException) ? e.getCause().getCause() : e.getCause();
      assertInstanceOf(IOException.class, cause, () -> "unexpected failure: " + e);
      return -1;
    }
  }

  @RepeatedTest(24)
  void cancelRacingTheGrant_losesNoSlot(RepetitionInfo repetition) throws Exception {
    HostKey key = server.key();
    regulator.setLimit(key, 1);
    RegulatedPool holder = closeLater(regulator.newPool("holder"));
    Slot held = holder.acquire(key);
    RegulatedOkHttp okhttp = okhttp("racer");
    Calls calls = (repetition.getCurrentRepetition() % 2 == 0) ? Calls.SYNC : Calls.ASYNC;
    Call call = okhttp.client().newCall(get("/"));
    CompletableFuture<Response> result = calls.start(call);
    await().atMost(5, TimeUnit.SECONDS).until(() -> regulator.waiting(key) == 1);

    race(held::release, call::cancel);
    int status = outcome(result);
    assertTrue(status == 200 || status == -1, "status " + status);
    assertBaseline(key);
  }

  @RepeatedTest(10)
  void closeRacingCallsInFlightAndWaiting_leavesEveryCountAtBaseline() throws Exception {
    HostKey key = server.key();
    RegulatedOkHttp okhttp = okhttp("closing");
    List<CompletableFuture<Response>> started = new ArrayList<>();
    for (int i = 0; i < 2 * LIMIT; i++) {
      started.add((i % 2 == 0 ? Calls.SYNC : Calls.ASYNC).start(okhttp.client(), get("/")));
    }
    okhttp.close();
    for (CompletableFuture<Response> call : started) {
      int status = outcome(call);
      assertTrue(status == 200 || status == -1, "status " + status);
    }
    assertEquals(0, okhttp.pool().inUse());
    assertBaseline(key);
  }
}
