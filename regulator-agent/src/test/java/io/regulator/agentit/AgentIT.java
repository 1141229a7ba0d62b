package io.regulator.agentit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vendor.sdk.VendorSdk;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Forked JVMs with {@code -javaagent:<the shaded jar>} running the vendor SDK fixture against a
 * counting loopback server ({@link SdkRun}); the same run without the agent is the control.
 */
class AgentIT {
  private static final int CAP = 2;
  private static final int REQUESTS = 6;
  private static final String JAR = System.getProperty("regulator.agent.jar");

  @Test
  void underTheAgent_everyClientTheSdkBuildsKeepsTheCap_andInUseEndsAtZero() throws Exception {
    Fork fork = fork(List.of("-javaagent:" + JAR + "=defaultLimit=" + CAP
        + ",acquireTimeout=20s,clients=jdk,apache5,apache5-async,apache4,okhttp,jetty,reactor,exclude=com.other.vendor"), "app");
    assertEquals(0, fork.exit, fork.output);
    assertTrue(fork.output.contains("regulator-agent: regulating jdk (HttpClient.Builder.build), apache5"), fork.output);
    assertEquals(String.valueOf(CAP), fork.fact("nodeWideLimit"), "HostRegulators.nodeWide() is the agent's");
    for (String kind : VendorSdk.KINDS) {
      assertEquals(String.valueOf(CAP), fork.fact("sdk." + kind + ".max"), kind + ": at the cap, never above\n" + fork.output);
      assertEquals("true", fork.fact("sdk." + kind + ".ok"), kind);
      assertTrue(fork.fact("sdk." + kind + ".pools").contains("built by com.vendor.sdk.VendorSdk.<init>(VendorSdk.java:"),
          kind + " pool named after the code that built it: " + fork.fact("sdk." + kind + ".pools"));
    }
    assertEquals("0", fork.fact("sdk.inUseAfterClose"));
    assertEquals(String.valueOf(CAP), fork.fact("jmx.limit"));
    assertEquals(String.valueOf(CAP + 1), fork.fact("jmx.limitAfterSet"), "the MBean's limit setter");
    assertEquals("true", fork.fact("app.reactor.unwrapped"), "the application's RegulatedConnectionProvider wraps the raw provider");
    for (String kind : List.of("jdk", "apache5", "okhttp", "reactor")) {
      assertTrue(Integer.parseInt(fork.fact("app." + kind + ".max")) <= CAP, kind);
      assertEquals("true", fork.fact("app." + kind + ".ok"), kind + ": one slot per request, not two");
      assertEquals("[app-" + kind + "]", fork.fact("app." + kind + ".pools"),
          kind + ": the application's own wrapper regulates, the agent's steps aside");
    }
    assertEquals("0", fork.fact("app.inUseAfterClose"));
  }

  @Test
  void withoutTheAgent_theSdkExceedsTheCap() throws Exception {
    Fork fork = fork(List.of());
    assertEquals(0, fork.exit, fork.output);
    assertEveryClientExceedsTheCap(fork);
    assertEquals("none", fork.fact("jmx.limit"));
  }

  @Test
  void agentTurnedOff_leavesEveryClientAlone() throws Exception {
    Fork fork = fork(List.of("-Dregulator.agent.enabled=false", "-javaagent:" + JAR + "=defaultLimit=" + CAP));
    assertEquals(0, fork.exit, fork.output);
    assertTrue(fork.output.contains("regulator-agent: off"), fork.output);
    assertEveryClientExceedsTheCap(fork);
    assertEquals("none", fork.fact("jmx.limit"));
  }

  @Test
  void excludedPackage_isLeftAlone() throws Exception {
    Fork fork = fork(List.of("-javaagent:" + JAR + "=defaultLimit=" + CAP + ",exclude=com.vendor"));
    assertEquals(0, fork.exit, fork.output);
    assertEveryClientExceedsTheCap(fork);
  }

  @Test
  void badOption_refusesToStart_namingIt() throws Exception {
    Fork fork = fork(List.of("-javaagent:" + JAR + "=defaultLimit=zero"));
    assertNotEquals(0, fork.exit, fork.output);
    assertTrue(fork.output.contains("regulator-agent: bad option defaultLimit=zero: not a whole number"), fork.output);
    assertEquals(null, fork.facts.get("nodeWideLimit"), "main never ran");
  }

  private static void assertEveryClientExceedsTheCap(Fork fork) {
    for (String kind : VendorSdk.KINDS) {
      assertTrue(Integer.parseInt(fork.fact("sdk." + kind + ".max")) > CAP, kind + " exceeds the cap: " + fork.output);
      assertEquals("true", fork.fact("sdk." + kind + ".ok"), kind);
    }
  }

  private static Fork fork(List<String> jvmArgs, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(childClassPath());
    command.add(SdkRun.class.getName());
    command.add(String.valueOf(CAP));
    command.add(String.valueOf(REQUESTS));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the fork ended");
    return new Fork(process.exitValue(), output);
  }

  /** The test class path without the agent's own classes, which come only from the -javaagent jar. */
  private static String childClassPath() {
    String classes = Path.of(System.getProperty("regulator.agent.classes")).toAbsolutePath().toString();
    String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return Stream.of(path.split(File.pathSeparator))
        .filter(entry -> !Path.of(entry).toAbsolutePath().toString().equals(classes))
        .filter(entry -> !entry.equals(JAR) && !entry.contains("byte-buddy"))
        .collect(Collectors.joining(File.pathSeparator));
  }

  private static final class Fork {
    final int exit;
    final String output;
    final Map<String, String> facts = new LinkedHashMap<>();

    Fork(int exit, String output) {
      this.exit = exit;
      this.output = output;
      for (String line : output.split("\\R")) {
        int eq = line.indexOf('=');
        if (eq > 0 && !line.contains(" ")) {
          facts.put(line.substring(0, eq), line.substring(eq + 1));
        } else if (eq > 0 && line.startsWith("sdk.") || line.startsWith("app.")) {
          facts.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
    }

    String fact(String key) {
      String value = facts.get(key);
      assertTrue(value != null, key + " missing in:\n" + output);
      return value;
    }
  }
}
