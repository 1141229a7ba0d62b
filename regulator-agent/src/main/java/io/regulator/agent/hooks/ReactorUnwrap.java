package io.regulator.agent.hooks;

import io.regulator.agent.bootstrap.Bridge;
import io.regulator.reactor.netty.RegulatedConnectionProvider;

/**
 * Gives the application's own {@code RegulatedConnectionProvider.builder(delegate, pool)} the
 * provider the agent wrapped, so that a connection is regulated once, by the application's pool;
 * the agent's pool, still empty, closes. Stateless.
 */
public final class ReactorUnwrap implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    RegulatedConnectionProvider agents = (RegulatedConnectionProvider) target;
    agents.pool().close();
    return agents.delegate();
  }
}
