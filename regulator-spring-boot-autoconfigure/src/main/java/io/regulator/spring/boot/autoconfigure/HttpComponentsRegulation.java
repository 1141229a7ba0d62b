package io.regulator.spring.boot.autoconfigure;

import io.regulator.RegulatedPool;
import io.regulator.http.apache.RegulatedConnections;
import java.lang.reflect.Field;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.core5.io.CloseMode;
import org.springframework.boot.http.client.HttpComponentsClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer;

/**
 * Puts the connection manager of every HttpClient 5 that Boot builds for RestClient and RestTemplate
 * behind {@link RegulatedConnections}: a slot per leased connection, as regulator-http tests it.
 *
 * <p>Boot builds the manager from its settings (timeouts, TLS bundle) and sets it on the
 * {@code HttpClientBuilder} before the customizers run; {@code HttpClientBuilder} has no getter for
 * it, so the manager Boot set is read from its field, wrapped, and set back. A manager that is
 * already regulated (the application wrapped it) is left as it is.
 *
 * <p>Thread-safe: Boot's builders are immutable and each build opens its own pool.
 */
final class HttpComponentsRegulation
    implements ClientHttpRequestFactoryBuilderCustomizer<HttpComponentsClientHttpRequestFactoryBuilder> {

  static final String POOL = "spring.request-factory.http-components";

  private static final Field CONNECTION_MANAGER = connectionManagerField();

  private final SpringPools pools;

  HttpComponentsRegulation(SpringPools pools) {
    this.pools = pools;
  }

  @Override
  public HttpComponentsClientHttpRequestFactoryBuilder customize(
      HttpComponentsClientHttpRequestFactoryBuilder builder) {
    return builder.withHttpClientCustomizer(this::regulate);
  }

  private void regulate(HttpClientBuilder client) {
    HttpClientConnectionManager manager = currentManager(client);
    if (manager == null || manager instanceof RegulatedConnections) {
      return;
    }
    RegulatedPool pool = pools.open(POOL);
    RegulatedConnections regulated = RegulatedConnections.wrap(manager, pool);
    pools.ownedBy(pool, () -> regulated.close(CloseMode.IMMEDIATE));
    client.setConnectionManager(regulated);
  }

  private static HttpClientConnectionManager currentManager(HttpClientBuilder client) {
    try {
      return (HttpClientConnectionManager) CONNECTION_MANAGER.get(client);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read HttpClientBuilder.connManager", e);
    }
  }

  private static Field connectionManagerField() {
    try {
      Field field = HttpClientBuilder.class.getDeclaredField("connManager");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException | RuntimeException e) {
      throw new IllegalStateException(
          "This HttpClient 5 version's HttpClientBuilder has no connManager field that regulator can"
              + " wrap; set regulator.enabled=false or wrap the manager with RegulatedConnections",
          e);
    }
  }
}
