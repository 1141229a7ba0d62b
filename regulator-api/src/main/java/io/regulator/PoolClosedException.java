package io.regulator;

import java.util.Objects;

/** The pool was closed before or while the caller waited for a slot. Immutable. */
public class PoolClosedException extends RegulatorException {
  private static final long serialVersionUID = 1L;

  private final String poolName;

  /** An exception naming the closed pool. */
  public PoolClosedException(String poolName) {
    super("pool '" + poolName + "' is closed");
    this.poolName = Objects.requireNonNull(poolName, "poolName");
  }

  /** The name of the closed pool. */
  public String poolName() {
    return poolName;
  }
}
