package io.regulator.spring.boot.autoconfigure;

import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Puts every request factory Boot builds for {@code RestClient} and {@code RestTemplate}, and every
 * connector it builds for {@code WebClient}, under the regulator, through Boot's own builder
 * customizer hooks. Each client kind that has a connection-level integration gets it (HttpClient 5:
 * {@code RegulatedConnections}; Jetty: {@code RegulatedPoolFactory}); every other kind takes a slot
 * per exchange.
 */
@AutoConfiguration(
    after = RegulatorAutoConfiguration.class,
    beforeName = {
      "org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration",
      "org.springframework.boot.http.client.autoconfigure.reactive.ReactiveHttpClientAutoConfiguration"
    })
@ConditionalOnBean(SpringPools.class)
public final class RegulatorHttpClientAutoConfiguration {

  /** A builder class whose factories a connection-level integration regulates. */
  record CoveredBuilder(String className) {}

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = "org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder")
  static class RequestFactories {

    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    ExchangeRegulation regulatorExchangeRegulation(
        SpringPools pools, ObjectProvider<CoveredBuilder> covered) {
      Set<String> names =
          covered.orderedStream().map(CoveredBuilder::className).collect(Collectors.toSet());
      return new ExchangeRegulation(pools, names);
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.boot.http.client.HttpComponentsClientHttpRequestFactoryBuilder",
        "org.apache.hc.client5.http.impl.classic.HttpClientBuilder",
        "io.regulator.http.apache.RegulatedConnections"
      })
  static class HttpComponents {

    @Bean
    HttpComponentsRegulation regulatorHttpComponentsRegulation(SpringPools pools) {
      return new HttpComponentsRegulation(pools);
    }

    @Bean
    CoveredBuilder regulatorHttpComponentsCovered() {
      return new CoveredBuilder(
          "org.springframework.boot.http.client.HttpComponentsClientHttpRequestFactoryBuilder");
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.boot.http.client.JettyClientHttpRequestFactoryBuilder",
        "org.eclipse.jetty.client.HttpClient",
        "io.regulator.jetty.RegulatedPoolFactory"
      })
  static class Jetty {

    @Bean
    JettyRegulation.RequestFactories regulatorJettyRequestFactories(SpringPools pools) {
      return new JettyRegulation.RequestFactories(pools);
    }

    @Bean
    CoveredBuilder regulatorJettyRequestFactoriesCovered() {
      return new CoveredBuilder("org.springframework.boot.http.client.JettyClientHttpRequestFactoryBuilder");
    }

    @Bean
    @ConditionalOnClass(name = "org.springframework.boot.http.client.reactive.JettyClientHttpConnectorBuilder")
    JettyRegulation.Connectors regulatorJettyConnectors(SpringPools pools) {
      return new JettyRegulation.Connectors(pools);
    }

    @Bean
    CoveredBuilder regulatorJettyConnectorsCovered() {
      return new CoveredBuilder(
          "org.springframework.boot.http.client.reactive.JettyClientHttpConnectorBuilder");
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder",
        "reactor.core.publisher.Mono"
      })
  static class Connectors {

    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    ConnectorRegulation regulatorConnectorRegulation(
        SpringPools pools, ObjectProvider<CoveredBuilder> covered) {
      Set<String> names =
          covered.orderedStream().map(CoveredBuilder::className).collect(Collectors.toSet());
      return new ConnectorRegulation(pools, names);
    }
  }
}
