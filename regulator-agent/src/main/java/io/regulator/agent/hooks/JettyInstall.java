package io.regulator.agent.hooks;

import io.regulator.HostRegulator;
import io.regulator.agent.bootstrap.Bridge;
import io.regulator.jetty.RegulatedPoolFactory;
import org.eclipse.jetty.client.HttpClient;

/**
 * Installs regulator-jetty's {@link RegulatedPoolFactory} in a Jetty {@link HttpClient} as it
 * starts, unless the application did; the pool closes when the client stops. Stateless.
 */
public final class JettyInstall implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    HttpClient client = (HttpClient) target;
    Object factory = client.getHttpClientTransport().getConnectionPoolFactory();
    if (factory != null && factory.getClass().getName().equals(RegulatedPoolFactory.class.getName())) {
      return null;
    }
    RegulatedPoolFactory.install(client, ((HostRegulator) Bridge.regulator).newPool(poolName), Bridge.acquireTimeout);
    return null;
  }
}
