package io.regulator;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A blocking acquire that could only ever time out, refused at once: the calling thread already
 * holds slots of the host, and every other slot of the host is held by threads that are
 * themselves blocked waiting for it. Typically a nested call to the same host (an auth request
 * made from inside an interceptor while the outer request holds the host's last slot). The call
 * needs a limit above the slots its caller chain holds at once ({@link
 * HostRegulator#setLimit}), or a client that this regulator does not count. Another pool of the
 * same regulator does not help: every pool counts against the host's one cap.
 *
 * <p>Immutable.
 */
public class SelfDeadlockException extends RegulatorException {
  private static final long serialVersionUID = 1L;

  private final HostKey key;
  private final String poolName;
  private final int limit;
  private final int heldByCaller;
  private final TreeMap<String, Integer> holders;

  /**
   * An exception naming the host, the pool that asked, the host's limit, how many of its slots
   * the calling thread holds, and the slots held per pool ({@code detail} says who holds the
   * oldest).
   */
  public SelfDeadlockException(HostKey key, String poolName, int limit, int heldByCaller,
      Map<String, Integer> holders, String detail) {
    super(message(key, poolName, limit, heldByCaller, detail));
    this.key = Objects.requireNonNull(key, "key");
    this.poolName = Objects.requireNonNull(poolName, "poolName");
    this.limit = limit;
    this.heldByCaller = heldByCaller;
    this.holders = new TreeMap<>(Objects.requireNonNull(holders, "holders"));
  }

  private static String message(
      HostKey key, String poolName, int limit, int heldByCaller, String detail) {
    String base = "pool '" + poolName + "' would wait forever for a slot of " + key
        + ": this thread already holds " + heldByCaller + " of its limit of " + limit
        + " and every other holder is waiting for the host too";
    String what = "; a nested call to the same host needs a higher limit (setLimit) or a client"
        + " this regulator does not count; another pool of this regulator shares the same cap";
    return (detail == null || detail.isEmpty()) ? base + what : base + "; " + detail + what;
  }

  /** The host. */
  public HostKey key() {
    return key;
  }

  /** The pool whose acquire was refused. */
  public String poolName() {
    return poolName;
  }

  /** The host's limit when the acquire was refused. */
  public int limit() {
    return limit;
  }

  /** Slots of the host that the calling thread held when its acquire was refused. */
  public int heldByCaller() {
    return heldByCaller;
  }

  /** Slots of the host held per pool name when the acquire was refused; unmodifiable. */
  public Map<String, Integer> holders() {
    return Collections.unmodifiableMap(holders);
  }
}
