package io.regulator.consumers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.regulator.consumers.ModularApp.Compilation;
import io.regulator.consumers.ModularApp.Run;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each consumer application under {@code src/consumers} is compiled by javac against exactly the
 * jars that its kind of application puts on the module path, and run in a fresh JVM on that module
 * path. Adding an integration module means: its consumer under {@code src/consumers/<name>}, its
 * artifact (and its client's) in this module's pom, and one test here naming the jars.
 */
class ModulePathConsumersTest {
  static final List<String> CORE = List.of("regulator-api", "regulator-core");
  static final List<String> MICROMETER = List.of(
      "micrometer-core", "micrometer-commons", "micrometer-observation", "HdrHistogram", "LatencyUtils");
  static final List<String> HTTP = List.of("regulator-http");
  static final List<String> HTTPCLIENT5 = List.of("httpclient5", "httpcore5", "httpcore5-h2", "slf4j-api");

  private static ResolvedArtifacts artifacts;

  @BeforeAll
  static void resolve() {
    artifacts = ResolvedArtifacts.ofThisBuild();
  }

  @SafeVarargs
  static List<Path> jars(List<String>... groups) {
    List<String> ids = new ArrayList<>();
    for (List<String> group : groups) {
      ids.addAll(group);
    }
    return artifacts.files(ids);
  }

  @Test
  void coreWithoutMicrometer_compilesAndRunsOnTheModulePath() throws Exception {
    // Failed before the fix: "module not found: micrometer.core" (requires static transitive).
    ModularApp app = ModularApp.named("core-plain").modulePath(jars(CORE));
    assertCompiles(app);
    assertRuns(app.run("consumer.core", "consumer.core.Main"));
  }

  @Test
  void coreWithMicrometer_compilesAndRunsOnTheModulePath() throws Exception {
    ModularApp app = ModularApp.named("core-micrometer").modulePath(jars(CORE, MICROMETER));
    assertCompiles(app);
    assertRuns(app.run("consumer.micrometer", "consumer.micrometer.Main"));
  }

  @Test
  void jdkClientAlone_compilesAndRunsWithoutHttpClient5() throws Exception {
    // Failed before the fix: "module not found: org.apache.httpcomponents.client5.httpclient5".
    ModularApp app = ModularApp.named("http-jdk").modulePath(jars(CORE, HTTP));
    assertCompiles(app);
    assertRuns(app.run("consumer.jdk", "consumer.jdk.Main"));
  }

  @Test
  void httpClient5_compilesAndRunsOnTheModulePath_whenTheApplicationRequiresIt() throws Exception {
    ModularApp app = ModularApp.named("http-apache").modulePath(jars(CORE, HTTP, HTTPCLIENT5))
        .addModules(slf4jModuleIfExplicit());
    assertCompiles(app);
    assertRuns(app.run("consumer.apache", "consumer.apache.Main"));
  }

  @Test
  void httpClient5TypesWithoutRequiringHttpClient5_doNotCompile() throws Exception {
    // Compiled before the fix (HttpClient 5 was re-exported), then failed at run time with
    // NoClassDefFoundError: org/apache/hc/client5/http/io/HttpClientConnectionManager.
    Compilation compilation = ModularApp.named("http-apache-undeclared")
        .modulePath(jars(CORE, HTTP, HTTPCLIENT5)).compile();
    assertFalse(compilation.success(), "must not compile:\n" + compilation.diagnostics());
    assertTrue(compilation.diagnostics().contains("org.apache.hc.client5.http.impl.io"), compilation.diagnostics());
  }

  /** slf4j-api 2 is an explicit module that no module requires: the automatic modules that use it need it added. */
  static String[] slf4jModuleIfExplicit() {
    return artifacts.version("slf4j-api").startsWith("1.") ? new String[0] : new String[] {"org.slf4j"};
  }

  static void assertCompiles(ModularApp app) throws Exception {
    Compilation compilation = app.compile();
    assertTrue(compilation.success(), "javac failed:\n" + compilation.diagnostics());
  }

  static void assertRuns(Run run) {
    assertEquals(0, run.exitCode(), run.output());
    assertTrue(run.output().lines().anyMatch(l -> l.startsWith("OK ")), run.output());
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
