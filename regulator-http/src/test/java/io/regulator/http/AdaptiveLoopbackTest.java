package io.regulator.http;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.LimitChangeReason;
import io.regulator.RegulatorListener;
import io.regulator.core.AdaptiveLimit;
import io.regulator.core.HostRegulators;
import io.regulator.http.jdk.RegulatedHttpClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 on loopback: two JDK clients (two pools of one regulator) hammer a real server whose
 * capacity halves mid-run. With an adaptive limit the share of 429s falls back under 5% within a
 * bounded time; the control, the same run with the fixed limit, keeps answering 429 to about half of
 * its requests on a quiet machine (58-60% seen), and is asserted to stay above the 5% that the
 * adaptive run must fall under, in the same window of the same timeline. Both runs warm up first:
 * a control measured 1 to 2 s after a halving at 0.5 s from a cold JVM once saw no 429 at all on a
 * loaded CI machine, most likely because the client spent so long between two requests that the server never had
 * more than its capacity in progress (on this machine, loaded to eight busy threads on one core,
 * the same cold control still saw 26%).
 *
 * <p>The server spends 20 ms on each request (a parked handler thread: the service time of the
 * synthetic load, not a way to order events) and answers 429 to each that arrived while it was
 * already serving its capacity; a refusal takes as long as an answer, as it does for a server
 * that must read the request and check its quota.
 */
class AdaptiveLoopbackTest {
  private static final int CAPACITY = 12;
  private static final int CLIENT_THREADS = 16;
  private static final long MS = 1_000_000L;
  /** The timeline both runs share: the capacity halves at 1 s, the share is read 4 to 6 s later. */
  private static final long HALVE_AT = 1000 * MS;
  private static final long SETTLED_FROM = 5000 * MS;
  private static final long END = 7000 * MS;

  private CountingServer server;
  private final AtomicInteger capacity = new AtomicInteger(CAPACITY);
  /** Requests the server is serving now, refused ones included. */
  private final AtomicInteger serving = new AtomicInteger();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<String> limitEvents = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = new CountingServer();
    server.script((n, exchange) -> {
      boolean accepted = serving.incrementAndGet() <= capacity.get();
      try {
        LockSupport.parkNanos(20 * MS);
      } finally {
        serving.decrementAndGet();
      }
      return accepted ? CountingServer.Reply.ok() : CountingServer.Reply.status(429);
    });
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable closeable : closeables) {
      closeable.close();
    }
    server.close();
  }

  /** One response seen by a client: when (nanos since the start) and its status. */
  private record Answer(long at, int status) {}

  private List<Answer> run(HostRegulator regulator) throws Exception {
    ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
    RegulatedHttpClient[] clients = new RegulatedHttpClient[2];
    for (int i = 0; i < clients.length; i++) {
      clients[i] = RegulatedHttpClient.builder(HttpClient.newHttpClient(), regulator.newPool("p" + i))
          .retryPolicy(RetryPolicy.none())
          .acquireTimeout(Duration.ofSeconds(30))
          .build();
      closeables.add(clients[i]);
    }
    HttpRequest request = HttpRequest.newBuilder(server.uri("/work"))
        .timeout(Duration.ofSeconds(10)).build();
    // Warm-up: connections up, classes loaded and the client's code compiled before the clock
    // starts. A cold JVM on a loaded machine spends so long in the client between two requests
    // that the server never sees more than its capacity at once: a run measured from cold proves
    // nothing either way.
    sendOnEveryThread(clients, request, sent -> sent < 25, status -> { })
        .awaitClean(60, "warming up");
    AtomicBoolean stop = new AtomicBoolean();
    long start = System.nanoTime();
    Senders senders = sendOnEveryThread(clients, request, sent -> !stop.get(),
        status -> answers.add(new Answer(System.nanoTime() - start, status)));
    await().atMost(30, SECONDS).until(() -> System.nanoTime() - start >= HALVE_AT);
    capacity.set(CAPACITY / 2);
    await().atMost(60, SECONDS).until(() -> System.nanoTime() - start >= END);
    stop.set(true);
    senders.awaitClean(30, "the run");

    HostKey key = server.key();
    assertEquals(0, regulator.inUse(key), "in use back to baseline");
    assertEquals(0, regulator.waiting(key), "waiting back to baseline");
    await().atMost(5, SECONDS).until(() -> server.inProgress() == 0);
    assertTrue(server.maxInProgress() <= CAPACITY,
        "the server never had more requests in progress than the limit: "
            + server.maxInProgress());
    return List.copyOf(answers);
  }

  /** The client threads of one phase: done when all have stopped; how many failed. */
  private record Senders(CountDownLatch done, AtomicInteger failures) {
    void awaitClean(int seconds, String phase) throws InterruptedException {
      assertTrue(done.await(seconds, SECONDS), "every client thread stopped, " + phase);
      assertEquals(0, failures.get(), "no client failed, " + phase);
    }
  }

  /**
   * Starts {@link #CLIENT_THREADS} threads, on the two clients in turn, each sending {@code request}
   * for as long as {@code more} says so of the requests it has sent, and reporting each status.
   */
  private static Senders sendOnEveryThread(RegulatedHttpClient[] clients, HttpRequest request,
      IntPredicate more, IntConsumer onStatus) {
    Senders senders = new Senders(new CountDownLatch(CLIENT_THREADS), new AtomicInteger());
    for (int t = 0; t < CLIENT_THREADS; t++) {
      RegulatedHttpClient client = clients[t % clients.length];
      new Thread(() -> {
        try {
          for (int sent = 0; more.test(sent); sent++) {
            onStatus.accept(client.send(request, BodyHandlers.discarding()).statusCode());
          }
        } catch (Exception e) {
          senders.failures().incrementAndGet();
        } finally {
          senders.done().countDown();
        }
      }).start();
    }
    return senders;
  }

  private static double share429(List<Answer> answers, long fromNanos, long toNanos) {
    long all = answers.stream().filter(a -> a.at >= fromNanos && a.at < toNanos).count();
    long rejected = answers.stream()
        .filter(a -> a.at >= fromNanos && a.at < toNanos && a.status == 429).count();
    assertTrue(all >= 30, "enough answers between " + fromNanos / MS + " and " + toNanos / MS
        + " ms: " + all);
    return (double) rejected / all;
  }

  @Test
  void capacityHalvesMidRun_shareOf429sIsUnder5PercentFromFourSecondsOn()
      throws Exception {
    HostRegulator regulator = HostRegulators.builder()
        .defaultLimit(CAPACITY)
        // 500 ms windows: six cuts bring 12 down to 6 within 3 s of the halving; after that the
        // limit probes one above the capacity every other window, which costs a few 429s each time
        // (200 ms windows probed so often that the settled share sat right at 5%).
        .adaptiveLimits(AdaptiveLimit.aimd().window(Duration.ofMillis(500)).build())
        .listener(new RegulatorListener() {
          @Override
          public void limitChanged(HostKey key, int previous, int limit, LimitChangeReason reason) {
            synchronized (limitEvents) {
              limitEvents.add(previous + "->" + limit + " " + reason);
            }
          }
        })
        .build();
    closeables.add(regulator);
    List<Answer> answers = run(regulator);
    double before = share429(answers, 0, HALVE_AT);
    double settled = share429(answers, SETTLED_FROM, END);
    System.out.printf("adaptive: 429 share before the halving %.2f%%, 4-6 s after %.2f%%; "
        + "limit now %d; %d limit changes%n", 100 * before, 100 * settled,
        regulator.limit(server.key()), limitEvents.size());
    assertTrue(before < 0.05, "429 share before the halving: " + before);
    assertTrue(settled < 0.05, "429 share 4 to 6 s after the halving: " + settled);
    assertTrue(regulator.limit(server.key()) <= CAPACITY / 2 + 1,
        "limit followed the capacity down: " + regulator.limit(server.key()));
  }

  @Test
  void control_theFixedLimitKeepsBeingRefused() throws Exception {
    HostRegulator regulator = HostRegulators.builder().defaultLimit(CAPACITY).build();
    closeables.add(regulator);
    List<Answer> answers = run(regulator);
    double settled = share429(answers, SETTLED_FROM, END);
    long answered = answers.stream().filter(a -> a.at >= SETTLED_FROM && a.at < END).count();
    System.out.printf("fixed limit: 429 share 4-6 s after the halving %.2f%% of %d answers%n",
        100 * settled, answered);
    assertTrue(settled > 0.05, "without adaptation the host keeps refusing 4 to 6 s after the "
        + "halving, where the adaptive run must be under 5%: " + settled + " of " + answered
        + " answers; the most the server had in progress at once: " + server.maxInProgress());
    assertEquals(CAPACITY, regulator.limit(server.key()), "a fixed limit does not move");
  }
}
