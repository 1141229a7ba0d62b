package io.regulator.agent;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import java.util.Map;

/** A host's {@link HostViewMXBean}, read through the regulator. Thread-safe: holds no state of its own. */
final class HostView implements HostViewMXBean {
  private final HostRegulator regulator;
  private final HostKey key;

  HostView(HostRegulator regulator, HostKey key) {
    this.regulator = regulator;
    this.key = key;
  }

  @Override
  public String getHost() {
    return key.toString();
  }

  @Override
  public int getLimit() {
    return regulator.limit(key);
  }

  @Override
  public void setLimit(int limit) {
    regulator.setLimit(key, limit);
  }

  @Override
  public int getInUse() {
    return regulator.inUse(key);
  }

  @Override
  public int getWaiting() {
    return regulator.waiting(key);
  }

  @Override
  public Map<String, Integer> getInUseByPool() {
    for (HostSnapshot host : regulator.snapshot()) {
      if (host.key().equals(key)) {
        return host.inUseByPool();
      }
    }
    return Map.of();
  }
}
