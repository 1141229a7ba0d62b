package io.regulator.spring.boot.autoconfigure;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code regulator} Actuator endpoint: every host with slots in use, waiters or a limit of its
 * own (limit, in use by pool, waiting), one host by {@code host:port}, and a live limit change.
 *
 * <pre>
 * GET  /actuator/regulator
 * GET  /actuator/regulator/api.partner.example:443
 * POST /actuator/regulator  {"host": "api.partner.example:443", "limit": 10}
 * </pre>
 *
 * <p>Thread-safe.
 */
@Endpoint(id = "regulator")
public class RegulatorEndpoint {

  private final HostRegulator regulator;

  public RegulatorEndpoint(HostRegulator regulator) {
    this.regulator = regulator;
  }

  /** Every host the regulator tracks with something to show. */
  @ReadOperation
  public Hosts hosts() {
    return new Hosts(regulator.snapshot().stream().map(HostView::of).toList());
  }

  /** One host, tracked or not. */
  @ReadOperation
  public HostView host(@Selector String host) {
    return view(parse("host", host));
  }

  /**
   * Sets one host's limit, live: raising it admits waiters at once, lowering it revokes nothing.
   *
   * @param host {@code host:port}
   * @param limit at least 1
   */
  @WriteOperation
  public HostView setLimit(String host, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit < 1: " + limit);
    }
    HostKey key = parse("host", host);
    regulator.setLimit(key, limit);
    return view(key);
  }

  private HostView view(HostKey key) {
    for (HostSnapshot snapshot : regulator.snapshot()) {
      if (snapshot.key().equals(key)) {
        return HostView.of(snapshot);
      }
    }
    return new HostView(
        key.toString(), regulator.limit(key), regulator.inUse(key), regulator.waiting(key), Map.of());
  }

  static HostKey parse(String parameter, String hostAndPort) {
    if (hostAndPort == null) {
      throw new IllegalArgumentException(parameter + " is missing: expected host:port");
    }
    int colon = hostAndPort.lastIndexOf(':');
    if (colon <= 0 || hostAndPort.endsWith("]")) {
      throw new IllegalArgumentException(
          parameter + " is not host:port: '" + hostAndPort + "'");
    }
    String port = hostAndPort.substring(colon + 1);
    try {
      return HostKey.of(hostAndPort.substring(0, colon), Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          parameter + " has a port that is not a number: '" + hostAndPort + "'", e);
    }
  }

  /** What the endpoint shows of all hosts. */
  public record Hosts(List<HostView> hosts) {}

  /** What the endpoint shows of one host. */
  public record HostView(
      String host, int limit, int inUse, int waiting, Map<String, Integer> inUseByPool) {

    static HostView of(HostSnapshot snapshot) {
      return new HostView(
          snapshot.key().toString(),
          snapshot.limit(),
          snapshot.inUse(),
          snapshot.waiting(),
          snapshot.inUseByPool());
    }
  }
}
