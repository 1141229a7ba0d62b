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
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.JettyClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.MapPropertySource;
import org.springframework.web.client.RestClient;

/** Boot detects Jetty (HttpClient 5 absent): its factories are regulated at the connection pool. */
class JettyRequestFactoryTest {

  private static final int LIMIT = 2;
  private static final int CALLS = 6;

  @Test
  void jettyFactoriesBootBuildsAreRegulatedAtTheirConnectionPool() throws Exception {
    try (CountingServer server = new CountingServer()) {
      ExecutorService callers = Executors.newCachedThreadPool();
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  RegulatorAutoConfiguration.class,
                  RegulatorHttpClientAutoConfiguration.class,
                  HttpClientAutoConfiguration.class,
                  ImperativeHttpClientAutoConfiguration.class))
          .withClassLoader(new FilteredClassLoader("org.apache.hc.client5"))
          .withInitializer(
              context ->
                  context
                      .getEnvironment()
                      .getPropertySources()
                      .addFirst(
                          new MapPropertySource(
                              "limits",
                              Map.of(
                                  "regulator.hosts[127.0.0.1:" + server.port() + "].limit",
                                  String.valueOf(LIMIT)))))
          .run(
              context -> {
                ClientHttpRequestFactoryBuilder<?> builder =
                    context.getBean(ClientHttpRequestFactoryBuilder.class);
                assertThat(builder).isInstanceOf(JettyClientHttpRequestFactoryBuilder.class);
                HostRegulator regulator = context.getBean(HostRegulator.class);
                RestClient client = RestClient.builder().requestFactory(builder.build()).build();

                List<CompletableFuture<String>> calls = new ArrayList<>();
                for (int i = 0; i < CALLS; i++) {
                  calls.add(
                      CompletableFuture.supplyAsync(
                          () -> client.get().uri(server.url()).retrieve().body(String.class), callers));
                }
                await()
                    .atMost(Duration.ofSeconds(30))
                    .until(
                        () ->
                            server.inProgress() == LIMIT
                                && regulator.waiting(server.key()) == CALLS - LIMIT);
                List<String> pools = new ArrayList<>();
                for (HostSnapshot host : regulator.snapshot()) {
                  if (host.key().equals(server.key())) {
                    pools.addAll(host.inUseByPool().keySet());
                  }
                }
                assertThat(pools).containsExactly(JettyRegulation.REQUEST_FACTORY_POOL + "#1");
                server.open();
                for (CompletableFuture<String> call : calls) {
                  assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("ok");
                }
                assertThat(server.maxInProgress()).isEqualTo(LIMIT);
                await().atMost(Duration.ofSeconds(10)).until(() -> regulator.inUse(server.key()) == 0);
              });
      callers.shutdownNow();
    }
  }
}
