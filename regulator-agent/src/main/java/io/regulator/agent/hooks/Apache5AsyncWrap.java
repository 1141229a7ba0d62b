package io.regulator.agent.hooks;

import io.regulator.HostRegulator;
import io.regulator.agent.bootstrap.Bridge;
import io.regulator.http.apache.RegulatedAsyncConnections;
import java.lang.reflect.Field;
import org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.nio.AsyncClientConnectionManager;

/**
 * The connection manager an HttpClient 5 async builder is to use: its own wrapped in
 * {@link RegulatedAsyncConnections}, or the default it would have built, wrapped. A manager the
 * application regulated already is left alone. Stateless.
 */
public final class Apache5AsyncWrap implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    AsyncClientConnectionManager manager = (AsyncClientConnectionManager) extra;
    if (manager != null && manager.getClass().getName().equals(RegulatedAsyncConnections.class.getName())) {
      return manager;
    }
    if (manager == null) {
      PoolingAsyncClientConnectionManagerBuilder defaults = PoolingAsyncClientConnectionManagerBuilder.create();
      if (usesSystemProperties(target)) {
        defaults.useSystemProperties();
      }
      manager = defaults.build();
    }
    return RegulatedAsyncConnections.wrap(
        manager, ((HostRegulator) Bridge.regulator).newPool(poolName), Bridge.acquireTimeout);
  }

  private static boolean usesSystemProperties(Object builder) {
    try {
      Field field = HttpAsyncClientBuilder.class.getDeclaredField("systemProperties");
      field.setAccessible(true);
      return field.getBoolean(builder);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
