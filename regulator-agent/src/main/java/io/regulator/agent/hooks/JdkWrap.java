package io.regulator.agent.hooks;

import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.agent.bootstrap.Bridge;
import io.regulator.http.jdk.RegulatedHttpClient;
import java.net.http.HttpClient;

/**
 * Wraps a JDK {@link HttpClient} just built in a {@link RegulatedHttpClient} on its own pool, which
 * closes with the client, or when the client is dropped unclosed and collected. Defined by the agent
 * in a class loader beside the JDK client's. Stateless.
 */
public final class JdkWrap implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    if (target instanceof RegulatedHttpClient || target.getClass().getName().equals(RegulatedHttpClient.class.getName())) {
      return target;
    }
    RegulatedPool pool = ((HostRegulator) Bridge.regulator).newPool(poolName);
    RegulatedHttpClient client = RegulatedHttpClient.builder((HttpClient) target, pool)
        .acquireTimeout(Bridge.acquireTimeout)
        .build();
    Bridge.cleaner.register(client, pool::close);
    return client;
  }
}
