package io.regulator.spring.boot.autoconfigure;

import io.regulator.HostKey;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The {@code regulator.*} properties: the node-wide cap that every HTTP client of the context is
 * put under. Bound by Spring; read once, at start-up, when the regulator is built.
 *
 * <p>Host keys are {@code host:port} and, because they contain dots and a colon, are written in
 * brackets: {@code regulator.hosts[api.partner.example:443].limit=25}.
 *
 * <p>Not thread-safe: a mutable bean that Spring binds before any other thread sees it.
 */
@ConfigurationProperties("regulator")
public class RegulatorProperties {

  /** Whether every RestClient, RestTemplate and WebClient Boot builds is put under the regulator. */
  private boolean enabled = true;

  /**
   * Use the JVM's shared HostRegulators.nodeWide() (built from its defaults, shared with code
   * outside this context and never closed by it) instead of a regulator of this context.
   */
  private boolean nodeWide = false;

  /** Slots per host across every pool, for hosts without a limit of their own. Default 50. */
  private Integer defaultLimit;

  /** How long a request waits for a slot before it fails. Default 30s. */
  private Duration acquireTimeout;

  /** Callers that may queue per host; one more fails at once. Default: no bound. */
  private Integer maxWaitersPerHost;

  /** Per-host settings, keyed by host:port. */
  private final Map<String, Host> hosts = new LinkedHashMap<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public boolean isNodeWide() {
    return nodeWide;
  }

  public void setNodeWide(boolean nodeWide) {
    this.nodeWide = nodeWide;
  }

  public Integer getDefaultLimit() {
    return defaultLimit;
  }

  public void setDefaultLimit(Integer defaultLimit) {
    this.defaultLimit = defaultLimit;
  }

  public Duration getAcquireTimeout() {
    return acquireTimeout;
  }

  public void setAcquireTimeout(Duration acquireTimeout) {
    this.acquireTimeout = acquireTimeout;
  }

  public Integer getMaxWaitersPerHost() {
    return maxWaitersPerHost;
  }

  public void setMaxWaitersPerHost(Integer maxWaitersPerHost) {
    this.maxWaitersPerHost = maxWaitersPerHost;
  }

  public Map<String, Host> getHosts() {
    return hosts;
  }

  /** One host's settings. */
  public static class Host {

    /** Slots of this host across every pool. */
    private Integer limit;

    public Integer getLimit() {
      return limit;
    }

    public void setLimit(Integer limit) {
      this.limit = limit;
    }
  }

  /**
   * Checks every value and parses the host keys.
   *
   * @return each configured host's limit
   * @throws InvalidConfigurationPropertyValueException naming the first bad property and its value
   */
  Map<HostKey, Integer> validatedHostLimits() {
    if (defaultLimit != null && defaultLimit < 1) {
      throw invalid("regulator.default-limit", defaultLimit, "must be at least 1");
    }
    if (acquireTimeout != null && acquireTimeout.isNegative()) {
      throw invalid("regulator.acquire-timeout", acquireTimeout, "must not be negative");
    }
    if (maxWaitersPerHost != null && maxWaitersPerHost < 0) {
      throw invalid("regulator.max-waiters-per-host", maxWaitersPerHost, "must not be negative");
    }
    if (nodeWide) {
      String conflicting =
          defaultLimit != null
              ? "regulator.default-limit"
              : acquireTimeout != null
                  ? "regulator.acquire-timeout"
                  : maxWaitersPerHost != null ? "regulator.max-waiters-per-host" : null;
      if (conflicting != null) {
        throw invalid(
            conflicting,
            defaultLimit != null ? defaultLimit : acquireTimeout != null ? acquireTimeout : maxWaitersPerHost,
            "cannot be set with regulator.node-wide=true: the JVM's node-wide regulator is built from"
                + " its defaults by whoever uses it first (per-host limits still apply)");
      }
    }
    Map<HostKey, Integer> limits = new LinkedHashMap<>();
    hosts.forEach(
        (name, host) -> {
          String property = "regulator.hosts[" + name + "].limit";
          HostKey key = parseKey(name, property);
          if (host.getLimit() == null) {
            throw invalid(property, null, "is missing");
          }
          if (host.getLimit() < 1) {
            throw invalid(property, host.getLimit(), "must be at least 1");
          }
          limits.put(key, host.getLimit());
        });
    return limits;
  }

  private static HostKey parseKey(String name, String property) {
    int colon = name.lastIndexOf(':');
    boolean bracketedIpv6 = name.startsWith("[") && name.lastIndexOf(']') > colon;
    if (colon < 0 || bracketedIpv6) {
      throw invalid(property, name, "the key must be host:port, e.g. api.partner.example:443");
    }
    String host = name.substring(0, colon);
    String port = name.substring(colon + 1);
    try {
      return HostKey.of(host, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw invalid(property, name, "the port '" + port + "' is not a number");
    } catch (IllegalArgumentException e) {
      throw invalid(property, name, e.getMessage());
    }
  }

  private static InvalidConfigurationPropertyValueException invalid(
      String property, Object value, String reason) {
    return new InvalidConfigurationPropertyValueException(property, value, reason);
  }
}
