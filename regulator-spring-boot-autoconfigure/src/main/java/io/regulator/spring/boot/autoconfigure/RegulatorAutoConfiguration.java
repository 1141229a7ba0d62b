package io.regulator.spring.boot.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.core.HostRegulators;
import java.time.Duration;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The context's {@link HostRegulator}, built from {@code regulator.*} and closed with the context,
 * or the JVM's node-wide one ({@code regulator.node-wide=true}), shared and never closed by the
 * context; the context's {@code MeterRegistry} when Micrometer is present; and the
 * {@link SpringPools} that the client integrations open their pools on, closed with the context in
 * either case. Backs off when the application defines its own {@code HostRegulator}; switched off by
 * {@code regulator.enabled=false}.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration"
    })
@ConditionalOnClass(HostRegulators.class)
@ConditionalOnBooleanProperty(name = "regulator.enabled", matchIfMissing = true)
@EnableConfigurationProperties(RegulatorProperties.class)
public final class RegulatorAutoConfiguration {

  /** The acquire timeout when {@code regulator.acquire-timeout} is not set: the core default. */
  static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(30);

  @Bean
  @ConditionalOnMissingBean
  SpringPools regulatorPools(HostRegulator regulator, RegulatorProperties properties) {
    Duration timeout = properties.getAcquireTimeout();
    return new SpringPools(regulator, timeout != null ? timeout : DEFAULT_ACQUIRE_TIMEOUT);
  }

  /** The regulator of this context, from the properties. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "regulator.node-wide", havingValue = false, matchIfMissing = true)
  static class OwnRegulator {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    HostRegulator hostRegulator(RegulatorProperties properties, ObjectProvider<MeterSource> meters) {
      Map<HostKey, Integer> limits = properties.validatedHostLimits();
      HostRegulators.Builder builder = HostRegulators.builder();
      if (properties.getDefaultLimit() != null) {
        builder.defaultLimit(properties.getDefaultLimit());
      }
      if (properties.getAcquireTimeout() != null) {
        builder.acquireTimeout(properties.getAcquireTimeout());
      }
      if (properties.getMaxWaitersPerHost() != null) {
        builder.maxWaitersPerHost(properties.getMaxWaitersPerHost());
      }
      limits.forEach(builder::limit);
      meters.ifAvailable(source -> source.applyTo(builder));
      return builder.build();
    }
  }

  /** The JVM's node-wide regulator, shared with code outside the context: never closed by it. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "regulator.node-wide")
  static class NodeWideRegulator {

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    HostRegulator hostRegulator(RegulatorProperties properties) {
      Map<HostKey, Integer> limits = properties.validatedHostLimits();
      HostRegulator shared = HostRegulators.nodeWide();
      limits.forEach(shared::setLimit);
      return shared;
    }
  }

  /** With Micrometer on the class path: the regulator's meters go to the context's registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  static class Micrometer {

    @Bean
    MeterSource regulatorMeterSource(ObjectProvider<MeterRegistry> registry) {
      return builder -> registry.ifAvailable(builder::meterRegistry);
    }
  }

  /** Gives the regulator builder the context's meter registry; keeps Micrometer types optional. */
  @FunctionalInterface
  interface MeterSource {
    void applyTo(HostRegulators.Builder builder);
  }
}
