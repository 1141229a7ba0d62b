package io.regulator.zookeeper.internal;

import io.regulator.HostKey;
import io.regulator.SlotTimeoutException;
import io.regulator.zookeeper.FleetState;
import io.regulator.zookeeper.FleetUnavailableException;
import io.regulator.zookeeper.WhenUnavailable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.SharedCountListener;
import org.apache.curator.framework.recipes.shared.SharedCountReader;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.utils.CloseableUtils;
import org.apache.curator.utils.ZKPaths;

/**
 * The fleet half of one host on this node: brokers leases of the host's Curator {@link
 * InterProcessSemaphoreV2} between this node's callers, who each already hold a local slot.
 *
 * <h2>ZooKeeper layout</h2>
 *
 * Under {@code <path>/hosts/<host:port>}: {@code limit}, a Curator {@link SharedCount} holding
 * the fleet limit (seeded from the builder when absent, changed live by {@code setFleetLimit});
 * {@code locks} and {@code leases}, the semaphore's fair mutex and its ephemeral lease nodes,
 * whose count never exceeds the limit. A lease node dies with its session, so a lost node's
 * leases come back to the fleet within the session timeout.
 *
 * <h2>Concurrency</h2>
 *
 * One {@link ReentrantLock} guards the FIFO queue of {@link LeaseRequest}s and the counts. It is
 * held for a few field writes only: never across a ZooKeeper round trip, a listener call or a
 * future completion; those run after {@code unlock()} on what the critical section collected.
 * Curator's semaphore blocks in {@code synchronized}/{@code wait}, which would pin a virtual
 * thread, so leases are taken on the regulator's platform threads ({@link #acquireLease}); the
 * callers park on their request. At most {@code acquiresPerHost} such acquires run per host, each
 * waiting until the latest deadline among the queued requests, and a lease that arrives goes to
 * whichever request is at the head of the queue then. No acquire is interrupted: an interrupt in
 * the middle of Curator's create could orphan a lease node for the rest of the session.
 *
 * <p>Who gets a permit is settled by the CAS on the request (see {@link LeaseRequest}); a permit
 * whose grant loses the race goes to the next request or back to ZooKeeper, never nowhere.
 *
 * <h2>Handoff, not hoarding</h2>
 *
 * A released lease goes straight to the next queued request of this node, saving the
 * semaphore's round trips (mutex, create, children, delete), but only while it is younger than
 * the handoff window; an older one, or one with nobody waiting, is deleted at once (in the
 * background). So a lease lives only while a caller uses it or is queued for it, and a busy node
 * gives every lease back to the fleet's fair queue at least once per window.
 *
 * <h2>Unavailability</h2>
 *
 * While the session is suspended or lost no lease is taken. {@code FAIL_FAST} fails queued
 * requests and refuses new ones with {@link FleetUnavailableException}. {@code LOCAL_SHARE}
 * grants local-share permits while the node holds fewer than {@code floor(limit /
 * expectedNodes)} permits of the host, counting every permit it holds, leases included; a held
 * lease may still be handed off while {@link FleetConnection#heldLeasesTrusted()}. Either way the
 * node never takes more leases than it had. When the session is lost, the leases its callers
 * hold are void: they stay counted here (they are still in use) but are no longer fleet leases.
 *
 * <h2>Entry lifecycle</h2>
 *
 * The {@link HostLeaseTable} creates entries on demand; the Curator recipes start on the first
 * ZooKeeper work, on a regulator thread. An entry with nothing granted, queued or in flight for
 * {@code idleHostTimeout} is retired (its {@link SharedCount} closed) and dropped; a caller that
 * finds a retired entry looks the host up again. An entry with permits out is never retired, so
 * a release always finds the entry its permit came from.
 *
 * <h2>Metrics</h2>
 *
 * The counts are read under the lock, each exact at its instant; {@link FleetCounters} count
 * events without it.
 */
final class HostLeases {
  final HostKey key;
  private final FleetRuntime runtime;
  private final String hostPath;
  private final String leasesPath;
  private final ReentrantLock lock = new ReentrantLock();

  /** Serializes the start of the Curator recipes; held across round trips, on regulator threads. */
  private final ReentrantLock startLock = new ReentrantLock();

  /** Written once under {@code startLock}; null until the recipes started. */
  private volatile SharedCount limitCount;

  /** Written once under {@code startLock}, after {@code limitCount}. */
  private volatile InterProcessSemaphoreV2 semaphore;

  /** The fleet limit as last read; the seed until the recipes started. */
  private volatile int fleetLimit;

  @GuardedBy("lock")
  private final ArrayDeque<LeaseRequest> queue = new ArrayDeque<>();

  /** Lease acquires running on regulator threads. */
  @GuardedBy("lock")
  private int acquiring;

  /** Threads doing ZooKeeper work for this entry (acquires, tryAcquire, admin); pins the entry. */
  @GuardedBy("lock")
  private int busy;

  /** Permits held by this node's slots: leases, void leases and local-share grants. */
  @GuardedBy("lock")
  private int granted;

  /** Of {@code granted}, the leases of the current session. */
  @GuardedBy("lock")
  private int liveLeases;

  @GuardedBy("lock")
  private long idleSince;

  /** Whether this outage already granted from the local share (and logged it as a warning). */
  @GuardedBy("lock")
  private boolean sharedThisOutage;

  /** Written under {@code lock}; volatile so that a lookup can skip a retired entry without it. */
  private volatile boolean retired;

  /** How long after a failed acquire the callers still queued (LOCAL_SHARE) get another. */
  private static final long RETRY_AFTER_ERROR_MILLIS = 100;

  /** What {@link #tryTake()} returns when this entry was retired: look the host up again. */
  static final FleetPermit RETIRED_ENTRY = FleetPermit.localShare(-1, 0);

  HostLeases(HostKey key, FleetRuntime runtime) {
    this.key = key;
    this.runtime = runtime;
    this.hostPath = ZKPaths.makePath(runtime.settings.path(), "hosts", key.toString());
    this.leasesPath = ZKPaths.makePath(hostPath, "leases");
    this.fleetLimit = runtime.settings.seedLimit(key);
    this.idleSince = runtime.now();
  }

  /** What {@link #admit} did with a request. */
  enum Admission {
    /** Queued, or decided at once (granted, or failed by its closing pool): await it. */
    ADMITTED,
    /** This entry was retired: look the host up again. */
    RETIRED
  }

  /**
   * Queues the request, or grants it at once from the local share when ZooKeeper is unavailable.
   *
   * @throws FleetUnavailableException under {@code FAIL_FAST} while ZooKeeper is unavailable
   */
  Admission admit(LeaseRequest request) {
    FleetUnavailableException refused = null;
    int toSpawn = 0;
    long waitNanos = 0;
    boolean fallback = false;
    boolean firstOfOutage = false;
    int heldNow = 0;
    lock.lock();
    try {
      if (retired) {
        return Admission.RETIRED;
      }
      // Set before reading the state: a closing pool that fails the request after this read
      // then finds the host and takes the request out of the queue.
      request.host = this;
      if (request.state() != LeaseRequest.WAITING) {
        return Admission.ADMITTED; // its pool closed meanwhile
      }
      FleetState state = runtime.connection.state();
      if (state == FleetState.CONNECTED) {
        queue.add(request);
        toSpawn = reserveAcquires();
        waitNanos = latestDeadline() - runtime.now();
      } else if (runtime.settings.whenUnavailable() == WhenUnavailable.FAIL_FAST) {
        refused = unavailable(state, null);
      } else if (queue.isEmpty() && granted < share()
          && request.grant(FleetPermit.localShare(runtime.connection.epoch(), runtime.now()))) {
        granted++;
        fallback = true;
        firstOfOutage = !sharedThisOutage;
        sharedThisOutage = true;
        heldNow = granted;
      } else {
        queue.add(request);
      }
    } finally {
      lock.unlock();
    }
    if (refused != null) {
      runtime.counters.unavailable.increment();
      throw refused;
    }
    if (fallback) {
      runtime.counters.fallbackGrants.increment();
      runtime.events.fallbackGranted(key, heldNow, share(), firstOfOutage);
      request.signal();
    }
    spawn(toSpawn, waitNanos);
    return Admission.ADMITTED;
  }

  /**
   * Takes a permit without queueing: a local-share grant, or one fleet acquire that does not wait
   * for the fleet's mutex or for a free lease (a few round trips). Null if none is free or a
   * caller of this node is queued ahead; {@link #RETIRED_ENTRY} if this entry was retired.
   *
   * @throws FleetUnavailableException under {@code FAIL_FAST} while ZooKeeper is unavailable
   */
  FleetPermit tryTake() {
    int epoch = 0;
    FleetUnavailableException refused = null;
    FleetPermit fromShare = null;
    boolean firstOfOutage = false;
    int heldNow = 0;
    lock.lock();
    try {
      if (retired) {
        return RETIRED_ENTRY;
      }
      if (!queue.isEmpty()) {
        return null; // no barging past this node's queue
      }
      FleetState state = runtime.connection.state();
      if (state == FleetState.CONNECTED) {
        busy++;
        epoch = runtime.connection.epoch();
      } else if (runtime.settings.whenUnavailable() == WhenUnavailable.FAIL_FAST) {
        refused = unavailable(state, null);
      } else if (granted < share()) {
        granted++;
        firstOfOutage = !sharedThisOutage;
        sharedThisOutage = true;
        heldNow = granted;
        fromShare = FleetPermit.localShare(runtime.connection.epoch(), runtime.now());
      } else {
        return null;
      }
    } finally {
      lock.unlock();
    }
    if (refused != null) {
      runtime.counters.unavailable.increment();
      throw refused;
    }
    if (fromShare != null) {
      runtime.counters.fallbackGrants.increment();
      runtime.events.fallbackGranted(key, heldNow, share(), firstOfOutage);
      return fromShare;
    }
    Lease lease = null;
    Throwable error = null;
    try {
      lease = runtime.onZooKeeperThread(() -> started().acquire(0, TimeUnit.MILLISECONDS)).join();
    } catch (CompletionException e) {
      error = e.getCause();
    }
    if (lease != null) {
      runtime.counters.leasesAcquired.increment();
    }
    FleetPermit permit = null;
    FleetPermit toReturn = null;
    int toSpawn;
    long waitNanos;
    lock.lock();
    try {
      busy--;
      idleSince = runtime.now();
      if (lease != null) {
        FleetPermit taken = FleetPermit.lease(leasePath(lease), epoch, runtime.now());
        if (epoch == runtime.connection.epoch()) {
          permit = taken;
          granted++;
          liveLeases++;
        } else {
          toReturn = taken; // the session it was taken in is gone
        }
      }
      toSpawn = reserveAcquires(); // callers may have queued meanwhile
      waitNanos = latestDeadline() - runtime.now();
    } finally {
      lock.unlock();
    }
    returnLease(toReturn);
    spawn(toSpawn, waitNanos);
    if (error != null) {
      return whenErrored(error);
    }
    return permit;
  }

  private FleetPermit whenErrored(Throwable error) {
    FleetState state = runtime.connection.state();
    if (runtime.settings.whenUnavailable() == WhenUnavailable.FAIL_FAST) {
      runtime.counters.unavailable.increment();
      throw unavailable(state, error);
    }
    return null;
  }

  /** Takes a request that gave up out of the queue, if it is still there. */
  void leave(LeaseRequest request) {
    lock.lock();
    try {
      if (queue.remove(request) && queue.isEmpty() && granted == 0) {
        idleSince = runtime.now();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives back the permit of a released slot: to the next queued request of this node if it is a
   * live lease within its handoff window, else to ZooKeeper; a local-share grant frees room in the
   * local share.
   */
  void release(FleetPermit permit) {
    release(permit, () -> {});
  }

  /**
   * As {@link #release(FleetPermit)}, running {@code beforeWaking} once the permit is off this
   * entry's books (with no lock held) but before any caller it goes to is woken or it goes back to
   * ZooKeeper: a slot's {@code released} event, raised there, precedes the next holder's
   * {@code acquired}.
   */
  void release(FleetPermit permit, Runnable beforeWaking) {
    LeaseRequest handedTo = null;
    FleetPermit toReturn = null;
    ShareGrants fromShare = ShareGrants.NONE;
    int heldNow;
    lock.lock();
    try {
      granted--;
      boolean live = permit.isLease() && permit.epoch == runtime.connection.epoch();
      if (live) {
        liveLeases--;
        boolean young = runtime.now() - permit.leasedAt <= runtime.settings.handoffWindowNanos();
        boolean connected = runtime.connection.state() == FleetState.CONNECTED;
        // Disconnected, the lease cannot go back anyway: pass it on while the session surely lives.
        if (connected ? young : runtime.connection.heldLeasesTrusted()) {
          handedTo = grantHead(permit);
        }
      }
      if (handedTo == null && permit.isLease()) {
        toReturn = permit; // void ones too: deleting a node the servers already deleted is harmless
      }
      if (handedTo == null && runtime.connection.state() != FleetState.CONNECTED) {
        fromShare = grantLocalShare();
      }
      if (granted == 0 && queue.isEmpty()) {
        idleSince = runtime.now();
      }
      heldNow = granted;
    } finally {
      lock.unlock();
    }
    try {
      beforeWaking.run();
    } finally {
      if (handedTo != null) {
        runtime.counters.handoffs.increment();
        handedTo.signal();
      }
      returnLease(toReturn);
      signalLocalShare(fromShare, heldNow);
    }
  }

  /**
   * Takes one lease from ZooKeeper on a regulator thread, waiting up to {@code waitNanos}, and
   * gives it to the head of the queue, or back if nobody is queued any more.
   */
  private void acquireLease(long waitNanos) {
    // Read before the acquire: a lease it returns was taken in this session or a later one, and
    // one of a later session is merely given back, never trusted beyond its life.
    int epoch = runtime.connection.epoch();
    Lease lease = null;
    Throwable error = null;
    try {
      lease = started().acquire(Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // only a shut-down regulator interrupts us
      error = e;
    } catch (Exception e) {
      error = e;
    }
    if (lease != null) {
      runtime.counters.leasesAcquired.increment();
    }
    LeaseRequest grantedTo = null;
    FleetPermit toReturn = null;
    List<LeaseRequest> failed = List.of();
    ShareGrants fromShare = ShareGrants.NONE;
    int toSpawn = 0;
    long nextWait = 0;
    boolean retryLater = false;
    int heldNow;
    lock.lock();
    try {
      acquiring--;
      busy--;
      if (lease != null) {
        FleetPermit permit = FleetPermit.lease(leasePath(lease), epoch, runtime.now());
        if (epoch == runtime.connection.epoch()) {
          grantedTo = grantHead(permit);
        }
        if (grantedTo == null) {
          toReturn = permit;
        }
      }
      if (error != null) {
        FleetState state = runtime.connection.state();
        if (runtime.settings.whenUnavailable() == WhenUnavailable.FAIL_FAST) {
          failed = failAll(unavailable(state, error));
        } else {
          fromShare = grantLocalShare();
          retryLater = !queue.isEmpty();
        }
        // No retry at once, which could spin on a persistent error: a new request, the connection
        // coming back, or (for callers still queued) a retry a moment later starts the next one.
      } else {
        toSpawn = reserveAcquires();
        nextWait = latestDeadline() - runtime.now();
      }
      if (granted == 0 && queue.isEmpty()) {
        idleSince = runtime.now();
      }
      heldNow = granted;
    } finally {
      lock.unlock();
    }
    if (grantedTo != null) {
      grantedTo.signal();
    }
    returnLease(toReturn);
    signalAll(failed);
    signalLocalShare(fromShare, heldNow);
    spawn(toSpawn, nextWait);
    if (retryLater) {
      try {
        runtime.timer.schedule(this::resume, RETRY_AFTER_ERROR_MILLIS, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        // the regulator closed: nobody is left to serve
      }
    }
  }

  /** Starts the acquires that the queue needs, if the connection allows. */
  private void resume() {
    int toSpawn;
    long waitNanos;
    lock.lock();
    try {
      toSpawn = reserveAcquires();
      waitNanos = latestDeadline() - runtime.now();
    } finally {
      lock.unlock();
    }
    spawn(toSpawn, waitNanos);
  }

  /** Reacts to the connection: fails or serves queued requests while down, resumes when up. */
  void connectionChanged(FleetState state) {
    int lost = 0;
    List<LeaseRequest> failed = List.of();
    ShareGrants fromShare = ShareGrants.NONE;
    int toSpawn = 0;
    long waitNanos = 0;
    int heldNow;
    lock.lock();
    try {
      if (state == FleetState.LOST) {
        lost = liveLeases;
        liveLeases = 0; // the epoch moved on: those permits are void now
      }
      if (state == FleetState.CONNECTED) {
        sharedThisOutage = false;
        toSpawn = reserveAcquires();
        waitNanos = latestDeadline() - runtime.now();
      } else if (runtime.settings.whenUnavailable() == WhenUnavailable.FAIL_FAST) {
        failed = failAll(unavailable(state, null));
      } else {
        fromShare = grantLocalShare();
      }
      heldNow = granted;
    } finally {
      lock.unlock();
    }
    if (lost > 0) {
      runtime.counters.leasesLost.add(lost);
      runtime.events.leasesLost(key, lost);
    }
    signalAll(failed);
    signalLocalShare(fromShare, heldNow);
    spawn(toSpawn, waitNanos);
  }

  /** The fleet limit changed: a larger local share may admit queued requests while down. */
  private void limitChanged(int newLimit) {
    fleetLimit = newLimit;
    if (runtime.connection.state() == FleetState.CONNECTED) {
      return; // the semaphore itself hears the change
    }
    ShareGrants fromShare;
    int heldNow;
    lock.lock();
    try {
      fromShare = grantLocalShare();
      heldNow = granted;
    } finally {
      lock.unlock();
    }
    signalLocalShare(fromShare, heldNow);
  }

  @GuardedBy("lock")
  private LeaseRequest grantHead(FleetPermit permit) {
    LeaseRequest request;
    while ((request = queue.poll()) != null) {
      if (request.grant(permit)) {
        granted++;
        if (permit.isLease()) {
          liveLeases++;
        }
        return request;
      }
    }
    return null;
  }

  /** Requests granted from the local share, and whether they are the outage's first. */
  private record ShareGrants(List<LeaseRequest> requests, boolean firstOfOutage) {
    static final ShareGrants NONE = new ShareGrants(List.of(), false);
  }

  @GuardedBy("lock")
  private ShareGrants grantLocalShare() {
    if (runtime.settings.whenUnavailable() != WhenUnavailable.LOCAL_SHARE || queue.isEmpty()) {
      return ShareGrants.NONE;
    }
    List<LeaseRequest> grants = new ArrayList<>();
    int share = share();
    while (granted < share && !queue.isEmpty()) {
      LeaseRequest request =
          grantHead(FleetPermit.localShare(runtime.connection.epoch(), runtime.now()));
      if (request != null) {
        grants.add(request);
      }
    }
    boolean first = !grants.isEmpty() && !sharedThisOutage;
    if (!grants.isEmpty()) {
      sharedThisOutage = true;
    }
    return new ShareGrants(grants, first);
  }

  @GuardedBy("lock")
  private List<LeaseRequest> failAll(FleetUnavailableException cause) {
    List<LeaseRequest> failed = new ArrayList<>(queue.size());
    LeaseRequest request;
    while ((request = queue.poll()) != null) {
      if (request.fail(cause)) {
        failed.add(request);
      }
    }
    return failed;
  }

  /** Reserves the acquires that the queue needs and returns how many to start. */
  @GuardedBy("lock")
  private int reserveAcquires() {
    if (runtime.connection.state() != FleetState.CONNECTED || runtime.isClosed()) {
      return 0;
    }
    int wanted = Math.min(runtime.settings.acquiresPerHost(), queue.size()) - acquiring;
    if (wanted <= 0 || latestDeadline() - runtime.now() <= 0) {
      return 0;
    }
    acquiring += wanted;
    busy += wanted;
    return wanted;
  }

  @GuardedBy("lock")
  private long latestDeadline() {
    long latest = runtime.now();
    for (LeaseRequest request : queue) {
      if (request.deadline - latest > 0) {
        latest = request.deadline;
      }
    }
    return latest;
  }

  private void spawn(int count, long waitNanos) {
    for (int i = 0; i < count; i++) {
      try {
        runtime.zooKeeperThreads.execute(() -> acquireLease(waitNanos));
      } catch (RejectedExecutionException e) {
        lock.lock(); // the regulator closed: nothing will take these leases
        try {
          acquiring--;
          busy--;
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /** Wakes failed requests; counted first, so that a woken caller sees its refusal counted. */
  private void signalAll(List<LeaseRequest> requests) {
    if (!requests.isEmpty()) {
      runtime.counters.unavailable.add(requests.size());
    }
    for (LeaseRequest request : requests) {
      request.signal();
    }
  }

  private void signalLocalShare(ShareGrants grants, int heldNow) {
    boolean first = grants.firstOfOutage();
    for (LeaseRequest request : grants.requests()) {
      runtime.counters.fallbackGrants.increment();
      runtime.events.fallbackGranted(key, heldNow, share(), first);
      first = false;
      request.signal();
    }
  }

  /** Deletes a lease node in the background; Curator retries a guaranteed delete on reconnect. */
  private void returnLease(FleetPermit permit) {
    if (permit == null || !permit.isLease()) {
      return;
    }
    runtime.counters.leasesReturned.increment();
    try {
      runtime.settings.client().delete().guaranteed().inBackground().forPath(permit.leasePath);
    } catch (Exception e) {
      // The client is closed: its session, and with it the ephemeral lease, is gone already.
      FleetRuntime.LOG.log(System.Logger.Level.DEBUG, "could not return " + permit, e);
    }
  }

  private String leasePath(Lease lease) {
    return ZKPaths.makePath(leasesPath, lease.getNodeName());
  }

  /** This node's share of the fleet limit, used only while ZooKeeper is unavailable. */
  int share() {
    return fleetLimit / runtime.settings.expectedNodes();
  }

  private FleetUnavailableException unavailable(FleetState state, Throwable cause) {
    return new FleetUnavailableException(key, state, cause);
  }

  /** Starts this host's Curator recipes once: reads (or seeds) the limit, then the semaphore. */
  private InterProcessSemaphoreV2 started() throws Exception {
    InterProcessSemaphoreV2 started = semaphore;
    if (started != null) {
      return started;
    }
    startLock.lock();
    try {
      if (semaphore != null) {
        return semaphore;
      }
      CuratorFramework client = runtime.settings.client();
      SharedCount count = new SharedCount(
          client, ZKPaths.makePath(hostPath, "limit"), runtime.settings.seedLimit(key));
      count.addListener(new SharedCountListener() {
        @Override
        public void countHasChanged(SharedCountReader sharedCount, int newCount) {
          limitChanged(newCount);
        }

        @Override
        public void stateChanged(CuratorFramework source, ConnectionState newState) {
          // the regulator's own FleetConnection follows the connection
        }
      });
      try {
        count.start();
      } catch (Exception e) {
        CloseableUtils.closeQuietly(count); // a SharedCount starts once; the next try makes anew
        throw e;
      }
      fleetLimit = count.getCount();
      // Built after the count started, so that it reads the fleet's value, not the seed.
      InterProcessSemaphoreV2 created = new InterProcessSemaphoreV2(client, hostPath, count);
      created.setNodeData(runtime.settings.nodeId().getBytes(StandardCharsets.UTF_8));
      limitCount = count;
      semaphore = created;
      return created;
    } finally {
      startLock.unlock();
    }
  }

  /** The fleet limit, read from ZooKeeper on first use. */
  int fleetLimit() {
    if (semaphore == null) {
      zooKeeperWork(() -> started());
    }
    return fleetLimit;
  }

  void setFleetLimit(int limit) {
    zooKeeperWork(() -> {
      started();
      limitCount.setCount(limit);
      return null;
    });
    limitChanged(limit);
  }

  /** Leases of this host held across the fleet, read from ZooKeeper. */
  int fleetInUse() {
    return zooKeeperWork(() -> started().getParticipantNodes().size());
  }

  private <T> T zooKeeperWork(FleetRuntime.ZooKeeperCall<T> call) {
    lock.lock();
    try {
      busy++;
    } finally {
      lock.unlock();
    }
    try {
      return runtime.onZooKeeperThread(call).join();
    } catch (CompletionException e) {
      throw unavailable(runtime.connection.state(), e.getCause());
    } finally {
      lock.lock();
      try {
        busy--;
        idleSince = runtime.now();
      } finally {
        lock.unlock();
      }
    }
  }

  /** The exception of a caller that waited {@code waitedNanos} for a fleet lease in vain. */
  SlotTimeoutException timeoutException(long waitedNanos, int localLimit) {
    int grantedNow;
    int liveNow;
    int waitingNow;
    lock.lock();
    try {
      grantedNow = granted;
      liveNow = liveLeases;
      waitingNow = queue.size();
    } finally {
      lock.unlock();
    }
    int limit = fleetLimit;
    return new SlotTimeoutException(key, limit, grantedNow, waitingNow,
        Duration.ofNanos(Math.max(0, waitedNanos)),
        "waiting for a fleet lease: fleet limit " + limit + ", this node holds " + liveNow
            + " fleet leases (" + grantedNow + " slots), " + waitingNow
            + " of its callers wait for one; local limit " + localLimit + "; ZooKeeper "
            + runtime.connection.state());
  }

  /** The fleet limit as this node last heard it; starts nothing (the meters read it). */
  int knownFleetLimit() {
    return fleetLimit;
  }

  int granted() {
    lock.lock();
    try {
      return granted;
    } finally {
      lock.unlock();
    }
  }

  int liveLeases() {
    lock.lock();
    try {
      return liveLeases;
    } finally {
      lock.unlock();
    }
  }

  int waiting() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Retires this entry if it was idle for the idle timeout at {@code now}; true if it did. */
  boolean retireIfIdle(long now) {
    lock.lock();
    try {
      if (retired || granted > 0 || busy > 0 || !queue.isEmpty()
          || now - idleSince < runtime.settings.idleHostNanos()) {
        return false;
      }
      retired = true;
    } finally {
      lock.unlock();
    }
    closeRecipes();
    return true;
  }

  boolean isRetired() {
    return retired;
  }

  /** Stops watching the limit; leases out are returned by their holders. */
  void closeRecipes() {
    SharedCount count = limitCount;
    if (count != null) {
      CloseableUtils.closeQuietly(count);
    }
  }

  @Override
  public String toString() {
    return "HostLeases[" + key + ", " + granted() + " granted, " + waiting() + " waiting]";
  }
}
