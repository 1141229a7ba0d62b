package io.regulator.spring.boot.autoconfigure;

import java.time.Duration;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.http.client.reactive.ClientHttpConnector;

/**
 * Boot's connector builder for WebClient: each connector it builds is the delegate's, behind a
 * {@link RegulatedClientHttpConnector} on a pool of its own.
 *
 * <p>Immutable and thread-safe, as Boot's builders are.
 */
final class RegulatingConnectorBuilder implements ClientHttpConnectorBuilder<ClientHttpConnector> {

  private final ClientHttpConnectorBuilder<?> delegate;
  private final SpringPools pools;
  private final String what;
  private final Duration timeout;

  RegulatingConnectorBuilder(
      ClientHttpConnectorBuilder<?> delegate, SpringPools pools, String what, Duration timeout) {
    this.delegate = delegate;
    this.pools = pools;
    this.what = what;
    this.timeout = timeout;
  }

  ClientHttpConnectorBuilder<?> delegate() {
    return delegate;
  }

  @Override
  public ClientHttpConnector build(HttpClientSettings settings) {
    return new RegulatedClientHttpConnector(delegate.build(settings), pools.open(what), timeout);
  }
}
