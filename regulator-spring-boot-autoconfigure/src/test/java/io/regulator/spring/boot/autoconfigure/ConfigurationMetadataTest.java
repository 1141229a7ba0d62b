package io.regulator.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConfigurationMetadataTest {

  @Test
  void everyPropertyIsDescribedInTheGeneratedMetadata() throws Exception {
    String metadata;
    try (InputStream in =
        getClass().getClassLoader().getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("the configuration processor's output").isNotNull();
      metadata = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (String name :
        new String[] {
          "regulator.enabled",
          "regulator.node-wide",
          "regulator.default-limit",
          "regulator.acquire-timeout",
          "regulator.max-waiters-per-host",
          "regulator.hosts"
        }) {
      assertThat(metadata).contains("\"name\": \"" + name + "\"");
    }
    assertThat(metadata).contains("Slots per host across every pool");
  }

  @Test
  void autoConfigurationsAreRegisteredForBoot() throws Exception {
    try (InputStream in =
        getClass()
            .getClassLoader()
            .getResourceAsStream(
                "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports")) {
      assertThat(in).isNotNull();
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .contains(RegulatorAutoConfiguration.class.getName())
          .contains(RegulatorHttpClientAutoConfiguration.class.getName())
          .contains(RegulatorEndpointAutoConfiguration.class.getName());
    }
  }
}
