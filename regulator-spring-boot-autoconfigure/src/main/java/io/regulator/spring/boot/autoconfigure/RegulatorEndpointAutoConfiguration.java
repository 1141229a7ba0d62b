package io.regulator.spring.boot.autoconfigure;

import io.regulator.HostRegulator;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** With Actuator present, the {@link RegulatorEndpoint} (exposed as the application exposes it). */
@AutoConfiguration(after = RegulatorAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
@ConditionalOnBean(HostRegulator.class)
public final class RegulatorEndpointAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnAvailableEndpoint
  RegulatorEndpoint regulatorEndpoint(HostRegulator regulator) {
    return new RegulatorEndpoint(regulator);
  }
}
