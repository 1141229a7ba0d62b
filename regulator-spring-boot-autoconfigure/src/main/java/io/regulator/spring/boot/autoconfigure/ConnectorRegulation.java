package io.regulator.spring.boot.autoconfigure;

import java.util.Set;
import org.springframework.boot.http.client.autoconfigure.reactive.ClientHttpConnectorBuilderCustomizer;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;

/**
 * The last customizer of Boot's WebClient connector builder: every connector that no
 * connection-level integration covers takes a slot per exchange, asynchronously ({@link
 * RegulatedClientHttpConnector}).
 *
 * <p>Thread-safe.
 */
final class ConnectorRegulation
    implements ClientHttpConnectorBuilderCustomizer<ClientHttpConnectorBuilder<?>> {

  private final SpringPools pools;
  private final Set<String> coveredBuilders;

  /**
   * @param coveredBuilders class names of the builders whose connectors a connection-level
   *     integration already regulates
   */
  ConnectorRegulation(SpringPools pools, Set<String> coveredBuilders) {
    this.pools = pools;
    this.coveredBuilders = Set.copyOf(coveredBuilders);
  }

  @Override
  public ClientHttpConnectorBuilder<?> customize(ClientHttpConnectorBuilder<?> builder) {
    if (builder instanceof RegulatingConnectorBuilder
        || coveredBuilders.contains(builder.getClass().getName())) {
      return builder;
    }
    return new RegulatingConnectorBuilder(
        builder,
        pools,
        "spring.connector." + ExchangeRegulation.kind(builder.getClass().getSimpleName()),
        pools.acquireTimeout());
  }
}
