package io.regulator.consumers;

import static io.regulator.consumers.ModulePathConsumersTest.CORE;
import static io.regulator.consumers.ModulePathConsumersTest.assertCompiles;
import static io.regulator.consumers.ModulePathConsumersTest.assertRuns;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.consumers.ModularApp.Compilation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet tier on the module path. ZooKeeper's two jars split packages
 * ({@code org.apache.zookeeper.server.persistence}, {@code ...server.quorum} are in both
 * {@code zookeeper} and {@code zookeeper-jute}), so both cannot be modules: what works is
 * zookeeper-jute on the class path (the automatic module {@code zookeeper} reads the class path),
 * everything else on the module path, and {@code --add-modules org.slf4j} because slf4j-api 2 is an
 * explicit module that only automatic modules use. docs/fleet.md gives this command line.
 */
class FleetModulePathTest {
  /** What regulator-zookeeper brings, except zookeeper-jute. */
  static final List<String> FLEET = List.of("regulator-zookeeper", "curator-client", "curator-framework",
      "curator-recipes", "zookeeper", "audience-annotations", "netty-handler", "netty-common", "netty-resolver",
      "netty-buffer", "netty-transport", "netty-transport-native-unix-common", "netty-codec",
      "netty-transport-native-epoll", "netty-transport-classes-epoll", "netty-tcnative-boringssl-static",
      "netty-tcnative-classes", "commons-io", "guava", "failureaccess", "listenablefuture", "jsr305",
      "checker-qual", "error_prone_annotations", "j2objc-annotations", "slf4j-api");
  static final List<String> JUTE = List.of("zookeeper-jute");

  private static TestingServer zookeeper;
  private static String connectString;
  private static ResolvedArtifacts artifacts;

  @BeforeAll
  static void startZookeeper() throws Exception {
    artifacts = ResolvedArtifacts.ofThisBuild();
    zookeeper = new TestingServer(true);
    connectString = zookeeper.getConnectString();
  }

  @AfterAll
  static void stopZookeeper() throws Exception {
    if (zookeeper != null) {
      zookeeper.close();
    }
  }

  @Test
  void fleetTier_compilesAndRunsOnTheModulePath_withZookeeperJuteOnTheClassPath() throws Exception {
    ModularApp app = ModularApp.named("fleet").modulePath(jars(CORE, FLEET)).classPath(artifacts.files(JUTE))
        .addModules("org.slf4j");
    assertCompiles(app);
    assertRuns(app.run("consumer.fleet", "consumer.fleet.Main", connectString));
  }

  @Test
  void fleetTier_withZookeeperJuteOnTheModulePath_doesNotResolve() throws Exception {
    // The control: what docs/fleet.md used to promise. Both jars as modules split two packages.
    Compilation compilation = ModularApp.named("fleet").modulePath(jars(CORE, FLEET, JUTE)).compile();
    assertFalse(compilation.success(), compilation.diagnostics());
    assertTrue(compilation.diagnostics().contains("reads package org.apache.zookeeper.server.persistence from both zookeeper"),
        compilation.diagnostics());
  }

  private static List<Path> jars(List<String> a, List<String> b) {
    List<String> ids = new ArrayList<>(a);
    ids.addAll(b);
    return artifacts.files(ids);
  }

  private static List<Path> jars(List<String> a, List<String> b, List<String> c) {
    List<String> ids = new ArrayList<>(a);
    ids.addAll(b);
    ids.addAll(c);
    return artifacts.files(ids);
  }
}
