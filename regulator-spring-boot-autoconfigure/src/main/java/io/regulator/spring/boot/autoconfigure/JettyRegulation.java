package io.regulator.spring.boot.autoconfigure;

import io.regulator.RegulatedPool;
import io.regulator.jetty.RegulatedPoolFactory;
import org.eclipse.jetty.client.HttpClient;
import org.springframework.boot.http.client.JettyClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer;
import org.springframework.boot.http.client.autoconfigure.reactive.ClientHttpConnectorBuilderCustomizer;
import org.springframework.boot.http.client.reactive.JettyClientHttpConnectorBuilder;

/**
 * Puts every Jetty {@code HttpClient} that Boot builds, for RestClient and RestTemplate or for
 * WebClient, under {@link RegulatedPoolFactory}: a slot per exchange on the connection (an HTTP/1.1
 * connection while it carries a request, or an HTTP/2 stream), taken without blocking, as
 * regulator-jetty tests it. The pool is installed before Spring starts the client; closing the
 * context stops the client (its connections close) before its pool closes.
 *
 * <p>Thread-safe: Boot's builders are immutable and each build opens its own pool.
 */
final class JettyRegulation {

  static final String REQUEST_FACTORY_POOL = "spring.request-factory.jetty";
  static final String CONNECTOR_POOL = "spring.connector.jetty";

  private JettyRegulation() {}

  static void regulate(HttpClient client, SpringPools pools, String what) {
    RegulatedPool pool = pools.open(what);
    RegulatedPoolFactory.install(client, pool, pools.acquireTimeout());
    pools.ownedBy(pool, client::stop);
  }

  /** The customizer of Boot's Jetty request factory builder. */
  static final class RequestFactories
      implements ClientHttpRequestFactoryBuilderCustomizer<JettyClientHttpRequestFactoryBuilder> {
    private final SpringPools pools;

    RequestFactories(SpringPools pools) {
      this.pools = pools;
    }

    @Override
    public JettyClientHttpRequestFactoryBuilder customize(JettyClientHttpRequestFactoryBuilder builder) {
      return builder.withHttpClientCustomizer(client -> regulate(client, pools, REQUEST_FACTORY_POOL));
    }
  }

  /** The customizer of Boot's Jetty connector builder (WebClient). */
  static final class Connectors
      implements ClientHttpConnectorBuilderCustomizer<JettyClientHttpConnectorBuilder> {
    private final SpringPools pools;

    Connectors(SpringPools pools) {
      this.pools = pools;
    }

    @Override
    public JettyClientHttpConnectorBuilder customize(JettyClientHttpConnectorBuilder builder) {
      return builder.withHttpClientCustomizer(client -> regulate(client, pools, CONNECTOR_POOL));
    }
  }
}
