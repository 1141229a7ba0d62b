package io.regulator.agent.hooks;

import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.agent.bootstrap.Bridge;
import io.regulator.httpclient4.RegulatedConnections;
import org.apache.http.conn.HttpClientConnectionManager;

/**
 * Wraps the connection manager an HttpClient 4.5 builder hands its exec chain (its own, or the
 * default it built) in regulator-httpclient4's {@link RegulatedConnections}; one the application
 * regulated already is left alone. The client's {@code close()} shuts the wrapped manager down, not
 * this one (the builder keeps the raw one for that), so the pool closes when the manager is
 * collected with its client; slots go back as connections are released, as ever. Stateless.
 */
public final class Apache4Wrap implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    HttpClientConnectionManager manager = (HttpClientConnectionManager) extra;
    if (manager.getClass().getName().equals(RegulatedConnections.class.getName())) {
      return manager;
    }
    RegulatedPool pool = ((HostRegulator) Bridge.regulator).newPool(poolName);
    RegulatedConnections regulated = RegulatedConnections.builder(manager, pool)
        .acquireTimeout(Bridge.acquireTimeout)
        .build();
    Bridge.cleaner.register(regulated, pool::close);
    return regulated;
  }
}
