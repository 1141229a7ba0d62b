package io.regulator.agent;

import io.regulator.agent.bootstrap.Bridge;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's side of the woven hooks: decides whether a client is regulated (its kind switched on,
 * the code that builds it not excluded, not regulated already), names its pool after the client
 * and the code that built it, and hands the work to the integration module's classes, defined
 * beside the client's loader by a {@link HelperLoader}.
 *
 * <p>Thread-safe: immutable but for the pool counter and the per-class helper loaders.
 */
final class AgentHooks implements Bridge.Hooks {
  private static final System.Logger LOG = System.getLogger("io.regulator.agent");
  /** Frames of these packages are the client's or ours; the first frame of no other built the client. */
  private static final List<String> LIBRARY_FRAMES = List.of(
      "java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "okhttp3.", "okio.",
      "org.apache.hc.", "org.apache.http.", "io.regulator.agent.", "io.regulator.http.", "io.regulator.okhttp.",
      "io.regulator.httpclient4.", "org.eclipse.jetty.", "io.regulator.jetty.",
      "reactor.", "io.netty.", "io.regulator.reactor.netty.");
  private static final StackWalker WALKER = StackWalker.getInstance();

  private final AgentConfig config;
  private final AtomicLong pools = new AtomicLong();
  private final ClassValue<HelperLoader> loaders = new ClassValue<>() {
    @Override
    protected HelperLoader computeValue(Class<?> client) {
      return new HelperLoader(client.getClassLoader(), AgentHooks.class.getClassLoader());
    }
  };

  AgentHooks(AgentConfig config) {
    this.config = config;
  }

  @Override
  public Object jdkBuilt(Object client) {
    String site = buildSite();
    if (!regulates("jdk", site)) {
      return client;
    }
    return helper(client.getClass(), "JdkWrap").apply(client, null, poolName("java.net.http.HttpClient", site));
  }

  @Override
  public void okhttpConstructing(Object builder) {
    String site = buildSite();
    if (!regulates("okhttp", site)) {
      return;
    }
    helper(builder.getClass(), "OkHttpWrap").apply(builder, null, poolName("okhttp3.OkHttpClient", site));
  }

  @Override
  public Object apache5Classic(Object builder, Object manager) {
    String site = buildSite();
    if (!regulates("apache5", site)) {
      return manager;
    }
    return helper(builder.getClass(), "Apache5ClassicWrap")
        .apply(builder, manager, poolName("org.apache.hc.client5 HttpClient", site));
  }

  @Override
  public Object apache5Async(Object builder, Object manager) {
    String site = buildSite();
    if (!regulates("apache5-async", site)) {
      return manager;
    }
    return helper(builder.getClass(), "Apache5AsyncWrap")
        .apply(builder, manager, poolName("org.apache.hc.client5 HttpAsyncClient", site));
  }

  @Override
  public Object apache4MainExec(Object builder, Object manager) {
    String site = buildSite();
    if (!regulates("apache4", site)) {
      return manager;
    }
    return helper(builder.getClass(), "Apache4Wrap")
        .apply(builder, manager, poolName("org.apache.http HttpClient 4.5", site));
  }

  @Override
  public void jettyStarting(Object client) {
    String site = buildSite();
    if (!regulates("jetty", site)) {
      return;
    }
    helper(client.getClass(), "JettyInstall").apply(client, null, poolName("org.eclipse.jetty.client.HttpClient", site));
  }

  @Override
  public Object reactorBuilt(Object provider) {
    String site = buildSite();
    if (!regulates("reactor", site)) {
      return provider;
    }
    return helper(provider.getClass(), "ReactorWrap")
        .apply(provider, null, poolName("reactor.netty ConnectionProvider", site));
  }

  @Override
  public Object applicationWrapsReactor(Object delegate) {
    ClassLoader loader = delegate.getClass().getClassLoader();
    if (!(loader instanceof HelperLoader)) {
      return delegate;
    }
    return ((HelperLoader) loader).helper(hookClass("ReactorUnwrap")).apply(delegate, null, null);
  }

  @Override
  public Object applicationWrapsJdk(Object delegate) {
    ClassLoader loader = delegate.getClass().getClassLoader();
    if (!(loader instanceof HelperLoader)) {
      return delegate;
    }
    return ((HelperLoader) loader).helper(hookClass("JdkUnwrap")).apply(delegate, null, null);
  }

  @Override
  public void applicationWrapsOkHttp(Object builder) {
    HelperLoader ours = loaders.get(builder.getClass());
    ours.helper(hookClass("OkHttpUnwrap")).apply(builder, ours, null);
  }

  @Override
  public void failed(String hook, Throwable failure) {
    LOG.log(Level.WARNING, "regulator-agent: could not regulate a " + hook
        + " client; it is left as it was", failure);
  }

  private boolean regulates(String client, String site) {
    return config.clients.contains(client) && !config.excludes(site);
  }

  private Bridge.Helper helper(Class<?> clientClass, String name) {
    return loaders.get(clientClass).helper(hookClass(name));
  }

  private static String hookClass(String simpleName) {
    return "io.regulator.agent.hooks." + simpleName;
  }

  /** "okhttp3.OkHttpClient built by com.vendor.Sdk.<init>(Sdk.java:42) #3": unique while open. */
  private String poolName(String client, String site) {
    return client + " built by " + site + " #" + pools.incrementAndGet();
  }

  /** The first frame that is neither the client library, the JDK, nor the regulator. */
  static String buildSite() {
    Optional<StackWalker.StackFrame> frame = WALKER.walk(frames -> frames
        .filter(f -> !isLibrary(f.getClassName()))
        .findFirst());
    return frame.map(f -> f.getClassName() + "." + f.getMethodName()
        + "(" + f.getFileName() + ":" + f.getLineNumber() + ")").orElse("unknown");
  }

  private static boolean isLibrary(String className) {
    for (String prefix : LIBRARY_FRAMES) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
