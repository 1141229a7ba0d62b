package io.regulator.spring.boot.autoconfigure;

import java.util.List;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.InterceptingClientHttpRequestFactory;

/**
 * Boot's request factory builder for clients without a connection-level integration: each factory
 * it builds is the delegate's, behind a {@link SlotInterceptor} on a pool of its own.
 *
 * <p>Immutable and thread-safe, as Boot's builders are.
 */
final class RegulatingRequestFactoryBuilder
    implements ClientHttpRequestFactoryBuilder<ClientHttpRequestFactory> {

  private final ClientHttpRequestFactoryBuilder<?> delegate;
  private final SpringPools pools;
  private final String what;

  RegulatingRequestFactoryBuilder(
      ClientHttpRequestFactoryBuilder<?> delegate, SpringPools pools, String what) {
    this.delegate = delegate;
    this.pools = pools;
    this.what = what;
  }

  /** The builder whose factories this one regulates. */
  ClientHttpRequestFactoryBuilder<?> delegate() {
    return delegate;
  }

  @Override
  public ClientHttpRequestFactory build(HttpClientSettings settings) {
    ClientHttpRequestFactory factory = delegate.build(settings);
    return new InterceptingClientHttpRequestFactory(
        factory, List.of(new SlotInterceptor(pools.open(what))));
  }
}
