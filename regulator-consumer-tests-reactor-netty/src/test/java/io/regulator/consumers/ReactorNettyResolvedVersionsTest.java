package io.regulator.consumers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a consumer of regulator-reactor-netty resolves from the published POMs alone: the Reactor
 * the project is built with (the root pom's Reactor BOM, whose pinned versions are read from the
 * BOM itself) and one Netty line.
 */
class ReactorNettyResolvedVersionsTest {
  private static ResolvedArtifacts artifacts;
  private static String bom;

  @BeforeAll
  static void resolve() throws IOException {
    artifacts = ResolvedArtifacts.ofThisBuild();
    String bomVersion = match(Files.readString(Path.of("..", "pom.xml")), "<reactor-bom\\.version>([^<]+)</");
    // The local repository, from where reactor-core was resolved: <repo>/io/projectreactor/reactor-core/<v>/<jar>.
    Path repo = artifacts.files(java.util.List.of("reactor-core")).get(0).getParent().getParent().getParent().getParent().getParent();
    bom = Files.readString(repo.resolve(Path.of("io", "projectreactor", "reactor-bom", bomVersion,
        "reactor-bom-" + bomVersion + ".pom")));
  }

  @Test
  void aConsumerOfRegulatorReactorNetty_getsTheReactorOfTheProjectsBom() {
    for (String id : new String[] {"reactor-netty-http", "reactor-netty-core", "reactor-core"}) {
      assertEquals(bomVersion(id), artifacts.version(id), id);
    }
  }

  @Test
  void aConsumerOfRegulatorReactorNetty_getsOneNettyVersion() {
    Set<String> versions = new TreeSet<>();
    for (String id : artifacts.artifactIds()) {
      if (id.startsWith("netty-")) {
        versions.add(artifacts.version(id));
      }
    }
    assertEquals(1, versions.size(), "Netty versions: " + versions);
    assertTrue(versions.iterator().next().startsWith("4.2."), "Netty " + versions);
  }

  private static String bomVersion(String artifactId) {
    return match(bom, "<artifactId>" + Pattern.quote(artifactId) + "</artifactId>\\s*<version>([^<]+)</version>");
  }

  private static String match(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("not found: " + regex);
    }
    return m.group(1).trim();
  }
}
