package io.regulator.agent;

import static net.bytebuddy.matcher.ElementMatchers.isBootstrapClassLoader;
import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;
import static net.bytebuddy.matcher.ElementMatchers.takesNoArguments;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.agent.bootstrap.Bridge;
import io.regulator.core.HostRegulators;
import java.lang.System.Logger.Level;
import java.lang.instrument.Instrumentation;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.utility.JavaModule;

/**
 * Builds the agent's regulator, makes it the JVM's {@code HostRegulators.nodeWide()}, and weaves the
 * hooks into the clients: one type, one method each, named in the start-up log line.
 */
final class AgentRuntime {
  private static final System.Logger LOG = System.getLogger("io.regulator.agent");

  private AgentRuntime() {}

  /**
   * Weaves first, then builds the regulator: at {@code premain} no client class and not even
   * {@code HostRegulators} is loaded yet, so no loaded class needs retransforming (walking every
   * loaded class is most of an agent's start-up time). Attached to a running JVM, loaded classes are
   * retransformed. The woven code does nothing until {@link Bridge#hooks} is set, last.
   */
  static void install(AgentConfig config, Instrumentation inst, JarFile bootJar, long startedNanos,
      boolean attached) {
    Bridge.acquireTimeout = config.acquireTimeout;
    Bridge.cleaner = Cleaner.create(task -> {
      Thread thread = new Thread(task, "regulator-agent-cleaner");
      thread.setDaemon(true);
      return thread;
    });

    ElementMatcher<ClassLoader> notOurs = loader -> !(loader instanceof HelperLoader);
    List<String> woven = new ArrayList<>();
    AgentBuilder agent = new AgentBuilder.Default()
        .disableClassFormatChanges()
        .with(attached ? AgentBuilder.RedefinitionStrategy.RETRANSFORMATION
            : AgentBuilder.RedefinitionStrategy.DISABLED)
        .with(new Failures())
        // The JDK finds no resource of a jar appended to the bootstrap class path: read it directly.
        .with(new AgentBuilder.LocationStrategy.Compound(AgentBuilder.LocationStrategy.ForClassLoader.STRONG,
            new AgentBuilder.LocationStrategy.Simple(new ClassFileLocator.ForJarFile(bootJar))))
        // The default also leaves the platform loader alone, which holds java.net.http.
        .ignore(nameStartsWith("net.bytebuddy.").or(nameStartsWith("io.regulator.agent."))
            .or(nameStartsWith("jdk.internal.reflect.")).or(isSynthetic()))
        .assureReadEdgeTo(inst, Bridge.class)
        .type(named("io.regulator.core.HostRegulators"), isBootstrapClassLoader())
        .transform(advice(ClientAdvice.NodeWide.class, named("nodeWide")));
    if (config.clients.contains("jdk")) {
      woven.add("jdk (HttpClient.Builder.build)");
      agent = agent
          .type(named("jdk.internal.net.http.HttpClientBuilderImpl"))
          .transform(advice(ClientAdvice.JdkBuild.class, named("build").and(takesNoArguments())))
          .type(named("io.regulator.http.jdk.RegulatedHttpClient$Builder"), notOurs)
          .transform(advice(ClientAdvice.ApplicationJdkWrap.class, isConstructor()));
    }
    if (config.clients.contains("apache5")) {
      woven.add("apache5 (HttpClientBuilder.build)");
      agent = agent
          .type(named("org.apache.hc.client5.http.impl.classic.HttpClientBuilder"))
          .transform(advice(ClientAdvice.Apache5ClassicBuild.class, named("build").and(takesNoArguments())));
    }
    if (config.clients.contains("apache5-async")) {
      woven.add("apache5-async (HttpAsyncClientBuilder.build)");
      agent = agent
          .type(named("org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder"))
          .transform(advice(ClientAdvice.Apache5AsyncBuild.class, named("build").and(takesNoArguments())));
    }
    if (config.clients.contains("apache4")) {
      woven.add("apache4 (HttpClientBuilder.createMainExec)");
      agent = agent
          .type(named("org.apache.http.impl.client.HttpClientBuilder"))
          .transform(advice(ClientAdvice.Apache4MainExec.class, named("createMainExec").and(takesArguments(8))));
    }
    if (config.clients.contains("okhttp")) {
      woven.add("okhttp (new OkHttpClient(Builder))");
      agent = agent
          .type(named("okhttp3.OkHttpClient"))
          .transform(advice(ClientAdvice.OkHttpConstructor.class, isConstructor()
              .and(takesArguments(1)).and(takesArgument(0, named("okhttp3.OkHttpClient$Builder")))))
          .type(named("io.regulator.okhttp.RegulatedOkHttp$Builder"), notOurs)
          .transform(advice(ClientAdvice.ApplicationOkHttpWrap.class, isConstructor()));
    }
    if (config.clients.contains("jetty")) {
      woven.add("jetty (HttpClient.doStart)");
      agent = agent
          .type(named("org.eclipse.jetty.client.HttpClient"))
          .transform(advice(ClientAdvice.JettyStart.class, named("doStart").and(takesNoArguments())));
    }
    if (config.clients.contains("reactor")) {
      woven.add("reactor (ConnectionProvider.Builder.build)");
      agent = agent
          .type(named("reactor.netty.resources.ConnectionProvider$Builder"))
          .transform(advice(ClientAdvice.ReactorBuild.class, named("build").and(takesNoArguments())))
          .type(named("io.regulator.reactor.netty.RegulatedConnectionProvider"), notOurs)
          .transform(advice(ClientAdvice.ApplicationReactorWrap.class, named("builder").and(takesArguments(2))));
    }
    agent.installOn(inst);
    HostRegulator regulator = regulator(config);
    Bridge.regulator = regulator;
    Bridge.hooks = new AgentHooks(config);

    List<HostKey> limited = new ArrayList<>(config.limits.size());
    for (Map.Entry<String, Integer> limit : config.limits.entrySet()) {
      limited.add(hostKey(limit.getKey()));
    }
    if (config.jmx) {
      new HostBeans(regulator).start(limited);
    }
    LOG.log(Level.INFO, "regulator-agent: regulating " + (woven.isEmpty() ? "no client" : String.join(", ", woven))
        + "; " + config + (config.jmx ? "; JMX io.regulator:type=Host" : "")
        + "; started in " + Duration.ofNanos(System.nanoTime() - startedNanos).toMillis() + " ms");
  }

  private static HostRegulator regulator(AgentConfig config) {
    HostRegulators.Builder builder = HostRegulators.builder()
        .defaultLimit(config.defaultLimit)
        .acquireTimeout(config.acquireTimeout);
    if (config.maxWaitersPerHost >= 0) {
      builder.maxWaitersPerHost(config.maxWaitersPerHost);
    }
    for (Map.Entry<String, Integer> limit : config.limits.entrySet()) {
      builder.limit(hostKey(limit.getKey()), limit.getValue());
    }
    return builder.build();
  }

  /** {@code host:port}, {@code [v6]:port}; a bad host names its option. */
  static HostKey hostKey(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return HostKey.of(host, Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "regulator-agent: bad option limit." + hostPort + ": " + e.getMessage(), e);
    }
  }

  private static AgentBuilder.Transformer advice(
      Class<?> adviceClass, ElementMatcher<? super MethodDescription> methods) {
    return (builder, type, loader, module, domain) -> builder.visit(Advice.to(adviceClass).on(methods));
  }

  /** Logs a type that could not be woven; the JVM then loads it as it was. */
  private static final class Failures extends AgentBuilder.Listener.Adapter {
    @Override
    public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable failure) {
      LOG.log(Level.WARNING, "regulator-agent: could not instrument " + typeName
          + "; its clients are left unregulated", failure);
    }

    @Override
    public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module,
        boolean loaded, DynamicType dynamicType) {
      LOG.log(Level.DEBUG, "regulator-agent: instrumented " + type.getName() + " in " + loader);
    }
  }
}
