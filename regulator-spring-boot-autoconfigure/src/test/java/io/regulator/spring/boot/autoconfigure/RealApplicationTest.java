package io.regulator.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.MapPropertySource;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * A real Spring Boot application (Tomcat on a random port, Boot's own auto-configuration) with a
 * RestClient, a RestTemplate and a WebClient bean, all calling one counting loopback server.
 */
class RealApplicationTest {

  private static final int LIMIT = 3;
  private static final int PER_CLIENT = 4;

  private CountingServer server;
  private final ExecutorService callers = Executors.newCachedThreadPool();

  @BeforeEach
  void startServer() throws Exception {
    server = new CountingServer();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    callers.shutdownNow();
    assertThat(callers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void restClientRestTemplateAndWebClientTogetherNeverPassTheHostsLimit() throws Exception {
    try (ConfigurableApplicationContext context = start(Map.of())) {
      HostRegulator regulator = context.getBean(HostRegulator.class);
      List<CompletableFuture<String>> calls = callEveryClient(context);

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> server.inProgress() == LIMIT && regulator.waiting(server.key()) == 3 * PER_CLIENT - LIMIT);
      assertThat(server.maxInProgress()).isEqualTo(LIMIT);
      assertThat(regulator.inUse(server.key())).isEqualTo(LIMIT);

      server.open();
      for (CompletableFuture<String> call : calls) {
        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("ok");
      }
      assertThat(server.maxInProgress()).isEqualTo(LIMIT);
      assertThat(server.served()).isEqualTo(3 * PER_CLIENT);
      await().atMost(Duration.ofSeconds(10)).until(() -> regulator.inUse(server.key()) == 0);
      assertThat(regulator.waiting(server.key())).isZero();

      // Each client Boot built has a pool of its own, named after what built it.
      List<String> pools = new ArrayList<>();
      server.hold();
      List<CompletableFuture<String>> more = callEveryClient(context);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> regulator.waiting(server.key()) == 3 * PER_CLIENT - LIMIT);
      for (HostSnapshot host : regulator.snapshot()) {
        if (host.key().equals(server.key())) {
          pools.addAll(host.inUseByPool().keySet());
        }
      }
      assertThat(pools).allMatch(name -> name.startsWith("spring."));
      server.open();
      for (CompletableFuture<String> call : more) {
        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("ok");
      }
    }
  }

  @Test
  void closingTheContextGivesBackEverySlotItsClientsHold() throws Exception {
    ConfigurableApplicationContext context = start(Map.of());
    HostRegulator regulator = context.getBean(HostRegulator.class);
    List<CompletableFuture<String>> calls = callEveryClient(context);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> regulator.inUse(server.key()) == LIMIT && regulator.waiting(server.key()) == 3 * PER_CLIENT - LIMIT);

    context.close();

    assertThat(regulator.inUse(server.key())).isZero();
    assertThat(regulator.waiting(server.key())).isZero();
    server.open();
    for (CompletableFuture<String> call : calls) {
      call.handle((body, failure) -> body).get(30, TimeUnit.SECONDS);
    }
    assertThat(server.maxInProgress()).isLessThanOrEqualTo(LIMIT);
  }

  @Test
  void withoutTheRegulatorTheSameClientsPassTheLimit_theControl() throws Exception {
    try (ConfigurableApplicationContext context = start(Map.of("regulator.enabled", "false"))) {
      assertThat(context.getBeansOfType(HostRegulator.class)).isEmpty();
      List<CompletableFuture<String>> calls = callEveryClient(context);
      await().atMost(Duration.ofSeconds(30)).until(() -> server.inProgress() > LIMIT);
      server.open();
      for (CompletableFuture<String> call : calls) {
        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("ok");
      }
      assertThat(server.maxInProgress()).isGreaterThan(LIMIT);
    }
  }

  private ConfigurableApplicationContext start(Map<String, Object> extra) {
    Map<String, Object> properties = new java.util.HashMap<>(extra);
    properties.put("server.port", "0");
    properties.put("server.address", "127.0.0.1");
    properties.put("spring.main.banner-mode", "off");
    properties.put("regulator.hosts[127.0.0.1:" + server.port() + "].limit", String.valueOf(LIMIT));
    return new SpringApplicationBuilder(App.class)
        .initializers(
            context ->
                context
                    .getEnvironment()
                    .getPropertySources()
                    .addFirst(new MapPropertySource("test", properties)))
        .run();
  }

  private List<CompletableFuture<String>> callEveryClient(ConfigurableApplicationContext context) {
    RestClient restClient = context.getBean(RestClient.class);
    RestTemplate restTemplate = context.getBean(RestTemplate.class);
    WebClient webClient = context.getBean(WebClient.class);
    List<CompletableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < PER_CLIENT; i++) {
      calls.add(
          CompletableFuture.supplyAsync(
              () -> restClient.get().uri(server.url()).retrieve().body(String.class), callers));
      calls.add(
          CompletableFuture.supplyAsync(
              () -> restTemplate.getForObject(server.url(), String.class), callers));
      calls.add(
          webClient.get().uri(server.url()).retrieve().bodyToMono(String.class).toFuture());
    }
    return calls;
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {

    @Bean
    RestClient restClient(RestClient.Builder builder) {
      return builder.build();
    }

    @Bean
    RestTemplate restTemplate(RestTemplateBuilder builder) {
      return builder.build();
    }

    @Bean
    WebClient webClient(WebClient.Builder builder) {
      return builder.build();
    }
  }
}
