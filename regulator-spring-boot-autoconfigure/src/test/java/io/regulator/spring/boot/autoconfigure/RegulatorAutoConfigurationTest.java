package io.regulator.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.Slot;
import io.regulator.core.HostRegulators;
import io.regulator.core.RegulatorMeters;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.HttpComponentsClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.reactive.ReactiveHttpClientAutoConfiguration;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MapPropertySource;

class RegulatorAutoConfigurationTest {

  private static final HostKey PARTNER = HostKey.of("api.partner.example", 443);
  private static final HostKey OTHER = HostKey.of("other.example", 80);

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  RegulatorAutoConfiguration.class,
                  RegulatorHttpClientAutoConfiguration.class,
                  RegulatorEndpointAutoConfiguration.class,
                  HttpClientAutoConfiguration.class,
                  ImperativeHttpClientAutoConfiguration.class,
                  ReactiveHttpClientAutoConfiguration.class));

  @Test
  void regulatorIsBuiltFromTheProperties() {
    runner
        .withPropertyValues(
            "regulator.default-limit=7", "regulator.acquire-timeout=2s", "regulator.max-waiters-per-host=0")
        .withInitializer(properties("regulator.hosts[api.partner.example:443].limit", "3"))
        .run(
            context -> {
              HostRegulator regulator = context.getBean(HostRegulator.class);
              assertThat(regulator.limit(PARTNER)).isEqualTo(3);
              assertThat(regulator.limit(OTHER)).isEqualTo(7);
              assertThat(context.getBean(SpringPools.class).acquireTimeout())
                  .isEqualTo(Duration.ofSeconds(2));
              try (var pool = regulator.newPool("test");
                  Slot held = pool.acquire(OTHER)) {
                assertThat(held.key()).isEqualTo(OTHER);
                assertThat(regulator.inUse(OTHER)).isEqualTo(1);
              }
            });
  }

  @Test
  void regulatorIsClosedWithTheContext() {
    HostRegulator[] seen = new HostRegulator[1];
    runner.run(context -> seen[0] = context.getBean(HostRegulator.class));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> seen[0].newPool("after"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void backsOffWhenTheApplicationDefinesItsOwnRegulator() {
    runner
        .withUserConfiguration(OwnRegulator.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(HostRegulator.class);
              assertThat(context.getBean(HostRegulator.class).limit(OTHER)).isEqualTo(2);
              assertThat(context).hasSingleBean(SpringPools.class);
            });
  }

  @Test
  void regulatorEnabledFalseSwitchesEverythingOff() {
    runner
        .withPropertyValues("regulator.enabled=false")
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(HostRegulator.class);
              assertThat(context).doesNotHaveBean(SpringPools.class);
              assertThat(context).doesNotHaveBean(ExchangeRegulation.class);
              assertThat(context.getBean(ClientHttpRequestFactoryBuilder.class))
                  .isInstanceOf(HttpComponentsClientHttpRequestFactoryBuilder.class);
            });
  }

  @Test
  void nodeWideTrueSharesTheJvmRegulatorAndLeavesItOpen() {
    runner
        .withPropertyValues("regulator.node-wide=true")
        .withInitializer(properties("regulator.hosts[node-wide.example:443].limit", "4"))
        .run(
            context -> {
              assertThat(context.getBean(HostRegulator.class)).isSameAs(HostRegulators.nodeWide());
              assertThat(HostRegulators.nodeWide().limit(HostKey.of("node-wide.example", 443)))
                  .isEqualTo(4);
            });
    try (var pool = HostRegulators.nodeWide().newPool("still-open")) {
      assertThat(pool.tryAcquire(OTHER)).isPresent().get().satisfies(Slot::close);
    }
  }

  @Test
  void badDefaultLimitFailsTheStartNamingThePropertyAndTheValue() {
    assertStartFails("regulator.default-limit=0", "regulator.default-limit", "0", "at least 1");
  }

  @Test
  void negativeAcquireTimeoutFailsTheStartNamingThePropertyAndTheValue() {
    assertStartFails("regulator.acquire-timeout=-1s", "regulator.acquire-timeout", "PT-1S", "negative");
  }

  @Test
  void negativeMaxWaitersFailsTheStartNamingThePropertyAndTheValue() {
    assertStartFails(
        "regulator.max-waiters-per-host=-2", "regulator.max-waiters-per-host", "-2", "negative");
  }

  @Test
  void hostLimitBelowOneFailsTheStartNamingThePropertyAndTheValue() {
    assertStartFails(
        "regulator.hosts[api.partner.example:443].limit=0",
        "regulator.hosts[api.partner.example:443].limit",
        "0",
        "at least 1");
  }

  @Test
  void hostKeyWithoutPortFailsTheStartNamingTheProperty() {
    assertStartFails(
        "regulator.hosts[api.partner.example].limit=3",
        "regulator.hosts[api.partner.example].limit",
        "api.partner.example",
        "host:port");
  }

  @Test
  void invalidHostNameFailsTheStartNamingThePropertyAndTheHost() {
    assertStartFails(
        "regulator.hosts[bad_host!:443].limit=3", "regulator.hosts[bad_host!:443].limit", "bad_host!", "");
  }

  @Test
  void nodeWideWithItsOwnDefaultLimitFailsTheStart() {
    runner
        .withPropertyValues("regulator.node-wide=true", "regulator.default-limit=5")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("regulator.default-limit")
                    .hasMessageContaining("node-wide"));
  }

  @Test
  void meterRegistryOfTheContextGetsTheRegulatorsMeters() {
    runner
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              HostRegulator regulator = context.getBean(HostRegulator.class);
              try (var pool = regulator.newPool("metered");
                  Slot held = pool.acquire(OTHER)) {
                assertThat(held.isReleased()).isFalse();
                assertThat(context.getBean(MeterRegistry.class).find(RegulatorMeters.SLOTS_IN_USE).gauges())
                    .isNotEmpty();
              }
            });
  }

  @Test
  void withoutMicrometerTheRegulatorStillStarts() {
    runner
        .withClassLoader(new FilteredClassLoader("io.micrometer"))
        .run(context -> assertThat(context).hasSingleBean(HostRegulator.class));
  }

  @Test
  void httpComponentsBuilderKeepsItsTypeAndIsRegulatedAtTheConnection() {
    runner.run(
        context -> {
          assertThat(context.getBean(ClientHttpRequestFactoryBuilder.class))
              .isInstanceOf(HttpComponentsClientHttpRequestFactoryBuilder.class);
          assertThat(context).hasSingleBean(HttpComponentsRegulation.class);
        });
  }

  @Test
  void withoutHttpComponentsTheJdkFactoryIsRegulatedPerExchange() {
    runner
        .withClassLoader(new FilteredClassLoader("org.apache.hc.client5", "reactor.netty", "org.eclipse.jetty"))
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(HttpComponentsRegulation.class);
              ClientHttpRequestFactoryBuilder<?> builder =
                  context.getBean(ClientHttpRequestFactoryBuilder.class);
              assertThat(builder).isInstanceOf(RegulatingRequestFactoryBuilder.class);
              assertThat(((RegulatingRequestFactoryBuilder) builder).delegate().getClass().getSimpleName())
                  .isEqualTo("JdkClientHttpRequestFactoryBuilder");
            });
  }

  @Test
  void webClientConnectorBuilderIsRegulated() {
    runner.run(
        context ->
            assertThat(context.getBean(ClientHttpConnectorBuilder.class))
                .isInstanceOf(RegulatingConnectorBuilder.class));
  }

  @Test
  void applicationsOwnRequestFactoryBuilderBeanIsLeftAlone() {
    runner
        .withBean(ClientHttpRequestFactoryBuilder.class, ClientHttpRequestFactoryBuilder::simple)
        .run(
            context ->
                assertThat(context.getBean(ClientHttpRequestFactoryBuilder.class).getClass().getSimpleName())
                    .isEqualTo("SimpleClientHttpRequestFactoryBuilder"));
  }

  @Test
  void endpointIsThereWithActuatorAndListsHostsAndSetsLimits() {
    runner
        .withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class))
        .withPropertyValues("management.endpoints.web.exposure.include=regulator")
        .run(
            context -> {
              RegulatorEndpoint endpoint = context.getBean(RegulatorEndpoint.class);
              HostRegulator regulator = context.getBean(HostRegulator.class);
              try (var pool = regulator.newPool("endpoint-test");
                  Slot held = pool.acquire(PARTNER)) {
                assertThat(held.poolName()).isEqualTo("endpoint-test");
                assertThat(endpoint.hosts().hosts())
                    .anySatisfy(
                        host -> {
                          assertThat(host.host()).isEqualTo("api.partner.example:443");
                          assertThat(host.inUse()).isEqualTo(1);
                          assertThat(host.inUseByPool()).containsEntry("endpoint-test", 1);
                        });
                assertThat(endpoint.setLimit("api.partner.example:443", 9).limit()).isEqualTo(9);
                assertThat(regulator.limit(PARTNER)).isEqualTo(9);
                assertThat(endpoint.host("api.partner.example:443").inUse()).isEqualTo(1);
              }
              org.assertj.core.api.Assertions.assertThatThrownBy(
                      () -> endpoint.setLimit("api.partner.example:443", 0))
                  .hasMessage("limit < 1: 0");
              org.assertj.core.api.Assertions.assertThatThrownBy(() -> endpoint.host("no-port"))
                  .hasMessageContaining("no-port");
            });
  }

  @Test
  void endpointBacksOffWithoutActuator() {
    runner
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
        .run(context -> assertThat(context).doesNotHaveBean(RegulatorEndpoint.class));
  }

  /** Properties whose names hold a colon, which {@code withPropertyValues} would split at. */
  private static ApplicationContextInitializer<ConfigurableApplicationContext> properties(
      String name, String value) {
    return context ->
        context
            .getEnvironment()
            .getPropertySources()
            .addFirst(new MapPropertySource("test-" + name, Map.of(name, value)));
  }

  private void assertStartFails(String property, String name, String value, String reason) {
    int equals = property.indexOf('=');
    runner
        .withInitializer(properties(property.substring(0, equals), property.substring(equals + 1)))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                    .hasMessageContaining(name)
                    .hasMessageContaining(value)
                    .hasMessageContaining(reason));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnRegulator {
    @Bean(destroyMethod = "close")
    HostRegulator myRegulator() {
      return HostRegulators.builder().defaultLimit(2).build();
    }
  }
}
