package io.regulator.spring.boot.autoconfigure;

import org.springframework.boot.http.client.autoconfigure.reactive.ClientHttpConnectorBuilderCustomizer;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;

/**
 * The last customizer of Boot's WebClient connector builder: every connector it builds takes a slot
 * per exchange, asynchronously ({@link RegulatedClientHttpConnector}).
 *
 * <p>Thread-safe.
 */
final class ConnectorRegulation
    implements ClientHttpConnectorBuilderCustomizer<ClientHttpConnectorBuilder<?>> {

  private final SpringPools pools;

  ConnectorRegulation(SpringPools pools) {
    this.pools = pools;
  }

  @Override
  public ClientHttpConnectorBuilder<?> customize(ClientHttpConnectorBuilder<?> builder) {
    if (builder instanceof RegulatingConnectorBuilder) {
      return builder;
    }
    return new RegulatingConnectorBuilder(
        builder,
        pools,
        "spring.connector." + ExchangeRegulation.kind(builder.getClass().getSimpleName()),
        pools.acquireTimeout());
  }
}
