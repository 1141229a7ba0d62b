package io.regulator.agent.hooks;

import io.regulator.HostRegulator;
import io.regulator.agent.bootstrap.Bridge;
import io.regulator.reactor.netty.RegulatedConnectionProvider;
import reactor.netty.resources.ConnectionProvider;

/**
 * Wraps the pooled {@link ConnectionProvider} a {@code ConnectionProvider.Builder} just built in
 * regulator-reactor-netty's {@link RegulatedConnectionProvider}, so every {@code HttpClient} that
 * uses it takes a slot per connection acquire; the pool closes when the provider is disposed.
 * Stateless.
 */
public final class ReactorWrap implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    ConnectionProvider provider = (ConnectionProvider) target;
    if (provider.getClass().getName().equals(RegulatedConnectionProvider.class.getName())) {
      return provider;
    }
    return RegulatedConnectionProvider.builder(provider, ((HostRegulator) Bridge.regulator).newPool(poolName))
        .acquireTimeout(Bridge.acquireTimeout)
        .build();
  }
}
