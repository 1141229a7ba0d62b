package io.regulator.consumers;

import static io.regulator.consumers.ModulePathConsumersTest.CORE;
import static io.regulator.consumers.ModulePathConsumersTest.assertCompiles;
import static io.regulator.consumers.ModulePathConsumersTest.assertRuns;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.consumers.ModularApp.Run;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Reactor Netty consumer, compiled and run on the module path as those of
 * regulator-consumer-tests are (same {@link ModularApp}), in a module of its own so that its Netty
 * 4.2 does not meet ZooKeeper's 4.1.
 */
class ReactorNettyModulePathTest {
  static final List<String> REACTOR = List.of("regulator-reactor-netty", "reactor-netty-http", "reactor-netty-core",
      "reactor-core", "reactive-streams", "jspecify");

  private static ResolvedArtifacts artifacts;

  @BeforeAll
  static void resolve() {
    artifacts = ResolvedArtifacts.ofThisBuild();
  }

  /**
   * The Netty modules Reactor Netty's HttpClient loads whatever it is asked: its jars are automatic
   * modules, which declare no requires, so nothing resolves Netty's explicit modules that only it
   * uses. A proxy needs io.netty.handler.proxy too, native epoll io.netty.transport.classes.epoll.
   */
  static final String[] NETTY_FOR_REACTOR = {"io.netty.resolver.dns", "io.netty.codec.http2"};

  @Test
  void reactorNetty_compilesAndRunsOnTheModulePath_withItsNettyModulesAdded() throws Exception {
    ModularApp app = ModularApp.named("reactor-netty").modulePath(modulePath()).addModules(NETTY_FOR_REACTOR);
    assertCompiles(app);
    assertRuns(app.run("consumer.reactornetty", "consumer.reactornetty.Main"));
  }

  @Test
  void reactorNetty_withoutItsNettyModulesAdded_compilesButFailsAtRunTime() throws Exception {
    // The control: javac is content (the application's own requires resolve), the JVM is not.
    ModularApp app = ModularApp.named("reactor-netty").modulePath(modulePath());
    assertCompiles(app);
    Run run = app.run("consumer.reactornetty", "consumer.reactornetty.Main");
    assertNotEquals(0, run.exitCode(), run.output());
    assertTrue(run.output().contains("NoClassDefFoundError: io/netty/resolver/dns/DnsAddressResolverGroup"), run.output());
  }

  /** Everything this application resolved but JUnit: Netty 4.2's jars are explicit modules, each native classifier its own. */
  private static List<Path> modulePath() {
    List<String> ids = new ArrayList<>(CORE);
    ids.addAll(REACTOR);
    ids.addAll(artifacts.artifactIds().stream().filter(id -> id.startsWith("netty-")).toList());
    return artifacts.files(ids);
  }
}
