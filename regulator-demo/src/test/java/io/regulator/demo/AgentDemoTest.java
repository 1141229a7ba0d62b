package io.regulator.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent mode's options and agent-jar lookup; and, when the shaded agent jar has been built
 * ({@code regulator.agent.jar}), a short run under it.
 */
class AgentDemoTest {

  @Test
  void agentOptions_parseAndRefuseBadValuesNamingThem() {
    AgentDemo.Options options = AgentDemo.parse(new String[] {"--limit", "3", "--requests", "9", "--agent-jar", "a.jar"});
    assertEquals(3, options.limit());
    assertEquals(9, options.requests());
    assertEquals(Path.of("a.jar"), options.agentJar());
    assertEquals(new AgentDemo.Options(4, 16, null, false), AgentDemo.parse(new String[0]));
    assertEquals("--limit outside 1..64: 0", message("--limit", "0"));
    assertEquals("--requests is not a whole number: many", message("--requests", "many"));
    assertEquals("--agent-jar needs a value", assertThrows(IllegalArgumentException.class,
        () -> AgentDemo.parse(new String[] {"--agent-jar"})).getMessage());
    assertEquals("unknown option: --fast", message("--fast", "1"));
    assertTrue(AgentDemo.parse(new String[] {"--no-agent"}).noAgent());
  }

  @Test
  void missingAgentJar_failsWithTheBuildCommand(@TempDir Path root) throws Exception {
    Files.createDirectories(root.resolve("regulator-agent/target"));
    Files.createFile(root.resolve("regulator-agent/target/regulator-agent-1.0-sources.jar"));
    String message = assertThrows(IllegalArgumentException.class, () -> AgentDemo.locateAgentJar(null, root)).getMessage();
    assertTrue(message.startsWith("no regulator-agent jar in [" + root.resolve("regulator-agent/target")), message);
    assertTrue(message.endsWith("; build it with: ./mvnw -B -q -pl regulator-demo,regulator-agent -am package -DskipTests"
        + " (or pass --agent-jar)"), message);
    assertEquals("--agent-jar: no such file: " + root.resolve("none.jar"),
        assertThrows(IllegalArgumentException.class, () -> AgentDemo.locateAgentJar(root.resolve("none.jar"), root))
            .getMessage());
  }

  @Test
  void builtAgentJar_isFoundInRegulatorAgentTarget(@TempDir Path root) throws Exception {
    Path target = Files.createDirectories(root.resolve("regulator-agent/target"));
    Files.createFile(target.resolve("regulator-agent-1.0-sources.jar"));
    Path jar = Files.createFile(target.resolve("regulator-agent-1.0.jar"));
    assertEquals(jar, AgentDemo.locateAgentJar(null, root));
    assertEquals(jar, AgentDemo.locateAgentJar(null, Files.createDirectories(root.resolve("regulator-demo"))),
        "from a module directory too");
  }

  @Test
  void shortRunUnderTheAgent_holdsTheCap_andEverySlotComesBack() throws Exception {
    String property = System.getProperty("regulator.agent.jar", "");
    Path jar = Path.of(property);
    assumeTrue(!property.isEmpty() && Files.isRegularFile(jar), "the agent jar is not built: " + property);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean passed = AgentDemo.run(new AgentDemo.Options(2, 6, jar, false), jar,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(passed, output);
    assertTrue(output.contains("cap held:          yes (server saw at most "), output);
    assertTrue(output.contains("back to baseline:  yes (in use after the SDK closed: 0, server in progress: 0)"), output);
  }

  @Test
  void withoutTheAgent_theSdkExceedsTheCap_andTheVerdictFails() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean passed = AgentDemo.run(new AgentDemo.Options(2, 6, null, true), null,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(!passed, output);
    assertTrue(output.contains("cap held:          NO (server saw at most "), output);
    assertTrue(output.contains("FAIL"), output);
  }

  private static String message(String flag, String value) {
    return assertThrows(IllegalArgumentException.class, () -> AgentDemo.parse(new String[] {flag, value})).getMessage();
  }
}
