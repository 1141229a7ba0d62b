package io.regulator.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
  @Test
  void noOptions_takesEveryDefault() {
    AgentConfig config = AgentConfig.parse(null);
    assertEquals(50, config.defaultLimit);
    assertEquals(Duration.ofSeconds(30), config.acquireTimeout);
    assertEquals(Set.copyOf(AgentConfig.CLIENTS), config.clients);
    assertTrue(config.exclude.isEmpty());
    assertTrue(config.jmx);
  }

  @Test
  void listValues_goOnAfterCommas_andHostLimitsKeepTheirPort() {
    AgentConfig config = AgentConfig.parse(
        "defaultLimit=20,limit.api.example.com:443=5,acquireTimeout=5s,clients=jdk,okhttp,exclude=com.vendor.internal,org.other");
    assertEquals(20, config.defaultLimit);
    assertEquals(Map.of("api.example.com:443", 5), config.limits);
    assertEquals(Duration.ofSeconds(5), config.acquireTimeout);
    assertEquals(Set.of("jdk", "okhttp"), config.clients);
    assertEquals(List.of("com.vendor.internal", "org.other"), config.exclude);
    assertTrue(config.excludes("com.vendor.internal.Http"));
  }

  @Test
  void durations_takeMillisSecondsMinutesAndIso() {
    assertEquals(Duration.ofMillis(250), AgentConfig.parse("acquireTimeout=250ms").acquireTimeout);
    assertEquals(Duration.ofMinutes(2), AgentConfig.parse("acquireTimeout=2m").acquireTimeout);
    assertEquals(Duration.ofSeconds(7), AgentConfig.parse("acquireTimeout=PT7S").acquireTimeout);
  }

  @Test
  void configFile_isRead_andTheCommandLineWins(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("regulator.properties");
    Files.writeString(file, "defaultLimit=9\nlimit.[::1]:8080=3\nlimit.api.example.com:443=4\nclients=apache5\n");
    AgentConfig config = AgentConfig.parse("config=" + file + ",defaultLimit=11");
    assertEquals(11, config.defaultLimit);
    assertEquals(Map.of("[::1]:8080", 3, "api.example.com:443", 4), config.limits);
    assertEquals(Set.of("apache5"), config.clients);
  }

  @Test
  void badValues_areRefused_namingTheOptionAndTheValue() {
    assertRefused("defaultLimit=0", "bad option defaultLimit=0: must be at least 1");
    assertRefused("defaultLimit=many", "bad option defaultLimit=many: not a whole number");
    assertRefused("limit.api.example.com=5", "bad option limit.api.example.com=api.example.com: needs host:port");
    assertRefused("limit.api.example.com:https=5", "port is not a number");
    assertRefused("acquireTimeout=5", "bad option acquireTimeout=5: needs a unit");
    assertRefused("acquireTimeout=-1s", "bad option acquireTimeout=-1s: must not be negative");
    assertRefused("clients=jdk,curl", "bad option clients=jdk,curl: 'curl' is none of");
    assertRefused("jmx=yes", "bad option jmx=yes: must be true or false");
    assertRefused("defaultLimt=5", "unknown option 'defaultLimt'");
    assertRefused("defaultLimit=5,okhttp", "option 'okhttp' is not key=value");
    assertRefused("config=/no/such/file", "bad option config=/no/such/file: cannot read it");
  }

  private static void assertRefused(String options, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentConfig.parse(options));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().startsWith("regulator-agent: "), e.getMessage());
  }
}
