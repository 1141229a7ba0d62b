package io.regulator.consumers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an application's build resolves from the published POMs alone (this module has no parent,
 * so nothing of the root pom's dependencyManagement applies): the versions the project is built
 * and tested with, as the root pom and docs/fleet.md state them.
 */
class ResolvedVersionsTest {
  private static ResolvedArtifacts artifacts;
  private static String rootPom;

  @BeforeAll
  static void resolve() throws IOException {
    artifacts = ResolvedArtifacts.ofThisBuild();
    rootPom = Files.readString(Path.of("..", "pom.xml"));
  }

  @Test
  void aConsumerOfRegulatorZookeeper_getsTheZookeeperAndSlf4jTheProjectIsTestedWith() {
    // Failed before regulator-zookeeper declared them: zookeeper 3.9.3 (Curator's), and slf4j-api
    // 1.7.x, while docs/fleet.md promised 3.9.4 and the module's own build used 2.0.13.
    assertEquals(property("zookeeper.version"), artifacts.version("zookeeper"));
    assertEquals(property("zookeeper.version"), artifacts.version("zookeeper-jute"));
    assertEquals(property("zookeeper.slf4j.version"), artifacts.version("slf4j-api"));
    for (String curator : List.of("curator-client", "curator-framework", "curator-recipes")) {
      assertEquals(property("curator.version"), artifacts.version(curator), curator);
    }
  }

  @Test
  void theOptionalClientsStayTheApplicationsChoice_andThisApplicationChoseTheProjectsVersions() {
    assertEquals(property("micrometer.version"), artifacts.version("micrometer-core"));
    assertEquals(property("httpclient5.version"), artifacts.version("httpclient5"));
  }

  private static String property(String name) {
    Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(rootPom);
    if (!m.find()) {
      throw new IllegalStateException("no property " + name + " in the root pom");
    }
    return m.group(1).trim();
  }
}
