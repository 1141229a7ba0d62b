package io.regulator.spring.boot.autoconfigure;

import java.util.Locale;
import java.util.Set;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer;

/**
 * The last customizer of Boot's request factory builder: a builder that no connection-level
 * integration covers (the JDK's, the simple one, Reactor Netty's or Jetty's when their regulator
 * modules are absent, one of the application's) is wrapped so that each factory it builds takes a
 * slot per exchange ({@link SlotInterceptor}).
 *
 * <p>Thread-safe.
 */
final class ExchangeRegulation
    implements ClientHttpRequestFactoryBuilderCustomizer<ClientHttpRequestFactoryBuilder<?>> {

  private final SpringPools pools;
  private final Set<String> coveredBuilders;

  /**
   * @param coveredBuilders class names of the builders whose factories a connection-level
   *     integration already regulates
   */
  ExchangeRegulation(SpringPools pools, Set<String> coveredBuilders) {
    this.pools = pools;
    this.coveredBuilders = Set.copyOf(coveredBuilders);
  }

  @Override
  public ClientHttpRequestFactoryBuilder<?> customize(ClientHttpRequestFactoryBuilder<?> builder) {
    if (builder instanceof RegulatingRequestFactoryBuilder
        || coveredBuilders.contains(builder.getClass().getName())) {
      return builder;
    }
    return new RegulatingRequestFactoryBuilder(
        builder, pools, "spring.request-factory." + kind(builder.getClass().getSimpleName()));
  }

  /** {@code JdkClientHttpRequestFactoryBuilder} is {@code jdk}; an unknown builder keeps its name. */
  static String kind(String simpleName) {
    String kind = simpleName;
    for (String suffix : new String[] {"ClientHttpRequestFactoryBuilder", "ClientHttpConnectorBuilder"}) {
      if (kind.endsWith(suffix) && kind.length() > suffix.length()) {
        kind = kind.substring(0, kind.length() - suffix.length());
      }
    }
    return kind.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }
}
