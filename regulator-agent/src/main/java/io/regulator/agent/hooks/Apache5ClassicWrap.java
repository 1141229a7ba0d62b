package io.regulator.agent.hooks;

import io.regulator.HostRegulator;
import io.regulator.agent.bootstrap.Bridge;
import io.regulator.http.apache.RegulatedConnections;
import java.lang.reflect.Field;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;

/**
 * The connection manager an HttpClient 5 classic builder is to use: its own wrapped in
 * {@link RegulatedConnections}, or, when it has none, the default it would have built, wrapped. A
 * manager the application regulated already is left alone. Closing the client closes the manager,
 * which closes the pool. Stateless.
 */
public final class Apache5ClassicWrap implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    HttpClientConnectionManager manager = (HttpClientConnectionManager) extra;
    if (manager != null && manager.getClass().getName().equals(RegulatedConnections.class.getName())) {
      return manager;
    }
    if (manager == null) {
      PoolingHttpClientConnectionManagerBuilder defaults = PoolingHttpClientConnectionManagerBuilder.create();
      if (usesSystemProperties(target)) {
        defaults.useSystemProperties();
      }
      manager = defaults.build();
    }
    return RegulatedConnections.builder(manager, ((HostRegulator) Bridge.regulator).newPool(poolName))
        .acquireTimeout(Bridge.acquireTimeout)
        .build();
  }

  private static boolean usesSystemProperties(Object builder) {
    try {
      Field field = HttpClientBuilder.class.getDeclaredField("systemProperties");
      field.setAccessible(true);
      return field.getBoolean(builder);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;  // HttpClient 5 on the module path, not opened: the plain defaults
    }
  }
}
