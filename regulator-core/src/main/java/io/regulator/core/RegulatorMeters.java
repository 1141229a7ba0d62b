package io.regulator.core;

/**
 * The names a regulator publishes under: its Micrometer meters and their tags, and its JFR event.
 * See {@code docs/observability.md} for what each one measures. Constants only; thread-safe.
 */
public final class RegulatorMeters {
  private RegulatorMeters() {}

  /** Gauge: slots of a host held now, across all pools. Tag {@link #HOST}. */
  public static final String SLOTS_IN_USE = "regulator.slots.in_use";

  /** Gauge: callers queued now for a slot of a host, across all pools. Tag {@link #HOST}. */
  public static final String SLOTS_WAITING = "regulator.slots.waiting";

  /** Gauge: a host's limit. Tag {@link #HOST}; not published for {@link #OTHER_HOSTS}. */
  public static final String SLOTS_LIMIT = "regulator.slots.limit";

  /**
   * Timer: how long acquires waited for a slot (zero when one was free), by how they ended. Tags
   * {@link #HOST} and {@link #OUTCOME}.
   */
  public static final String ACQUIRE = "regulator.acquire";

  /** Timer: how long slots were held, from acquire to release (or reclaim). Tag {@link #HOST}. */
  public static final String HOLD = "regulator.hold";

  /** Gauge: slots a pool holds now, across hosts. Tag {@link #POOL}; removed when it closes. */
  public static final String POOL_IN_USE = "regulator.pool.in_use";

  /**
   * Counter: how often a host's adaptive limit moved, by why. Tags {@link #HOST} and {@link
   * #REASON}; the limit itself is the {@link #SLOTS_LIMIT} gauge.
   */
  public static final String LIMIT_CHANGES = "regulator.limit.changes";

  /** Counter: how often a host went into shared {@code Retry-After} backoff. Tag {@link #HOST}. */
  public static final String BACKOFFS = "regulator.backoffs";

  /** Tag key: why an adaptive limit moved: {@code push_back}, {@code probe} or {@code latency}. */
  public static final String REASON = "reason";

  /** Tag key: the host, as {@code HostKey.toString()}: {@code example.com:443}. */
  public static final String HOST = "host";

  /** Tag key: how an acquire ended; one of the {@code OUTCOME_*} values. */
  public static final String OUTCOME = "outcome";

  /** Tag key: the pool's name. */
  public static final String POOL = "pool";

  /** The {@link #HOST} tag of every host beyond the builder's {@code maxTaggedHosts}. */
  public static final String OTHER_HOSTS = "other";

  /** Outcome: the caller got a slot. */
  public static final String OUTCOME_GRANTED = "granted";

  /** Outcome: no slot within the timeout (or a {@code tryAcquire} found none free). */
  public static final String OUTCOME_TIMEOUT = "timeout";

  /** Outcome: the caller's pool was closed, or closed while it waited. */
  public static final String OUTCOME_CLOSED = "closed";

  /** Outcome: the host's waiter queue was full. */
  public static final String OUTCOME_OVERLOADED = "overloaded";

  /** Outcome: the caller cancelled (or completed) its {@code acquireAsync} future while queued. */
  public static final String OUTCOME_CANCELLED = "cancelled";

  /** Outcome: the waiting thread was interrupted. */
  public static final String OUTCOME_INTERRUPTED = "interrupted";

  /**
   * Outcome: a blocking acquire was refused at once because its thread would wait forever on
   * slots it holds itself ({@code SelfDeadlockException}).
   */
  public static final String OUTCOME_SELF_DEADLOCK = "self_deadlock";

  /**
   * The JFR event of an acquire that queued: {@code io.regulator.SlotWait}, category {@code
   * Regulator}, default threshold 20 ms.
   */
  public static final String SLOT_WAIT_EVENT = "io.regulator.SlotWait";
}
