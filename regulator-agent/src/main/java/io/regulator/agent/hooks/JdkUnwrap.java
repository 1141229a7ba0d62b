package io.regulator.agent.hooks;

import io.regulator.http.jdk.RegulatedHttpClient;
import io.regulator.agent.bootstrap.Bridge;
import java.lang.reflect.Field;

/**
 * Gives the application's own {@code RegulatedHttpClient} the client the agent wrapped, so that a
 * request is regulated once, by the application's pool; the agent's pool, still empty, closes.
 * Stateless.
 */
public final class JdkUnwrap implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    RegulatedHttpClient agents = (RegulatedHttpClient) target;
    try {
      Field delegate = RegulatedHttpClient.class.getDeclaredField("delegate");
      delegate.setAccessible(true);
      Object raw = delegate.get(agents);
      agents.pool().close();
      return raw;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot unwrap " + agents, e);
    }
  }
}
