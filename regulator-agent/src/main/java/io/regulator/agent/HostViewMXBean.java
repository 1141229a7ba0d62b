package io.regulator.agent;

import java.util.Map;

/**
 * One host of the agent's regulator in JMX, as {@code io.regulator:type=Host,name="host:port"}.
 * Read live from the regulator on every call.
 */
public interface HostViewMXBean {
  /** The host and port. */
  String getHost();

  /** How many slots the pools together may hold. */
  int getLimit();

  /** Sets the limit live (at least 1): raising it admits waiters at once. */
  void setLimit(int limit);

  /** Slots held now, all pools. */
  int getInUse();

  /** Callers waiting for a slot now, all pools. */
  int getWaiting();

  /** Slots held now, by pool name (the client class and the code that built it). */
  Map<String, Integer> getInUseByPool();
}
