package io.regulator.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.instrument.Instrumentation;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * The agent's entry point: {@code java -javaagent:regulator-agent.jar[=options] -jar app.jar}.
 * Parses the options (a bad one stops the JVM from starting, naming it), puts regulator-api,
 * regulator-core and the {@link io.regulator.agent.bootstrap.Bridge} on the bootstrap class path,
 * then hands over to {@link AgentRuntime}. {@code -Dregulator.agent.enabled=false} turns it all off.
 *
 * <p>This class touches no regulator type: those must first be loaded from the bootstrap class
 * path, or the application's class loader could load a second copy.
 */
public final class RegulatorAgent {
  /** The system property that turns the agent off. */
  public static final String ENABLED = "regulator.agent.enabled";
  private static final String BOOT = "regulator-boot/";
  private static final String BRIDGE = "io/regulator/agent/bootstrap/";

  private RegulatorAgent() {}

  /** Called before {@code main}. */
  public static void premain(String args, Instrumentation inst) {
    start(args, inst, false);
  }

  /** Called when attached to a running JVM: clients built from then on are regulated. */
  public static void agentmain(String args, Instrumentation inst) {
    start(args, inst, true);
  }

  private static void start(String args, Instrumentation inst, boolean attached) {
    if ("false".equalsIgnoreCase(System.getProperty(ENABLED, "true").trim())) {
      System.getLogger("io.regulator.agent").log(System.Logger.Level.INFO,
          "regulator-agent: off (-D" + ENABLED + "=false); no client is regulated");
      return;
    }
    long started = System.nanoTime();
    AgentConfig config = AgentConfig.parse(args);
    JarFile boot = bootstrapJar();
    inst.appendToBootstrapClassLoaderSearch(boot);
    AgentRuntime.install(config, inst, boot, started, attached);
  }

  /** A temporary jar of the classes the bootstrap class path is to get, copied from the agent's own. */
  private static JarFile bootstrapJar() {
    try {
      Path agentJar = Path.of(RegulatorAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path boot = Files.createTempFile("regulator-agent-boot", ".jar");
      boot.toFile().deleteOnExit();
      try (JarFile agent = new JarFile(agentJar.toFile());
           JarOutputStream out = new JarOutputStream(Files.newOutputStream(boot))) {
        for (Enumeration<JarEntry> entries = agent.entries(); entries.hasMoreElements(); ) {
          JarEntry entry = entries.nextElement();
          String name = entry.getName();
          String target = name.startsWith(BOOT) ? name.substring(BOOT.length())
              : name.startsWith(BRIDGE) ? name : null;
          if (target == null || target.isEmpty() || entry.isDirectory()) {
            continue;
          }
          out.putNextEntry(new JarEntry(target));
          try (InputStream in = agent.getInputStream(entry)) {
            in.transferTo(out);
          }
          out.closeEntry();
        }
      }
      return new JarFile(boot.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("regulator-agent: cannot write its bootstrap jar", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("regulator-agent: cannot find its own jar", e);
    }
  }
}
