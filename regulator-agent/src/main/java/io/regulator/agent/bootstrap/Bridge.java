package io.regulator.agent.bootstrap;

/**
 * What the code the agent weaves into HTTP clients calls. The agent appends this class, with
 * regulator-api and regulator-core, to the bootstrap class path, so that every class loader that
 * delegates to its parents (all but OSGi-style ones) sees the one copy: the woven code of a client
 * in any loader reaches the same {@link Hooks}, and through them the one regulator.
 *
 * <p>Types are {@code Object} on purpose: the bootstrap loader sees no client class. Every method
 * catches what the hooks throw and hands the client back as it was, so that a failure never
 * breaks the application.
 *
 * <p>Thread-safe: the fields are written once at start, before any woven code runs.
 */
public final class Bridge {
  /** The agent's hooks; null until it started (then every method returns its argument). */
  public static volatile Hooks hooks;
  /** The agent's {@code io.regulator.HostRegulator}, which {@code HostRegulators.nodeWide()} returns. */
  public static volatile Object regulator;

  /** How long a request of a regulated client waits for a slot. */
  public static volatile java.time.Duration acquireTimeout;
  /** Closes the pools of clients the application dropped without closing (JDK, OkHttp). */
  public static volatile java.lang.ref.Cleaner cleaner;

  private Bridge() {}

  /** The agent's side, one method per woven hook. */
  public interface Hooks {
    /** The client to hand out in place of the JDK {@code HttpClient} just built. */
    Object jdkBuilt(Object client);

    /** Adds the regulator's interceptor to an {@code OkHttpClient.Builder} a client is being built from. */
    void okhttpConstructing(Object builder);

    /** The connection manager an HttpClient 5 classic builder is to build with ({@code manager} may be null). */
    Object apache5Classic(Object builder, Object manager);

    /** The connection manager an HttpClient 5 async builder is to build with ({@code manager} may be null). */
    Object apache5Async(Object builder, Object manager);

    /** The connection manager an HttpClient 4.5 builder hands its main exec chain. */
    Object apache4MainExec(Object builder, Object manager);

    /** Installs the regulated pool factory in a Jetty {@code HttpClient} that is starting. */
    void jettyStarting(Object client);

    /** The provider to hand out in place of the Reactor Netty {@code ConnectionProvider} a builder just built. */
    Object reactorBuilt(Object provider);

    /** The provider the application's own {@code RegulatedConnectionProvider} is to wrap: the agent's unwrapped. */
    Object applicationWrapsReactor(Object delegate);

    /** The client the application's own {@code RegulatedHttpClient} is to wrap: the agent's unwrapped. */
    Object applicationWrapsJdk(Object delegate);

    /** Removes the agent's interceptor from a builder the application's {@code RegulatedOkHttp} takes. */
    void applicationWrapsOkHttp(Object builder);

    /** Reports a hook that failed; the client stays as it was. */
    void failed(String hook, Throwable failure);
  }

  /** A helper class the agent defines in a client's class loader: one operation on one client. */
  public interface Helper {
    /** Applies the operation to {@code target}; {@code extra} and {@code poolName} as the hook says. */
    Object apply(Object target, Object extra, String poolName);
  }

  public static Object jdkBuilt(Object client) {
    Hooks h = hooks;
    if (h == null || client == null) {
      return client;
    }
    try {
      return h.jdkBuilt(client);
    } catch (Throwable t) {
      report(h, "jdk", t);
      return client;
    }
  }

  public static void okhttpConstructing(Object builder) {
    Hooks h = hooks;
    if (h == null || builder == null) {
      return;
    }
    try {
      h.okhttpConstructing(builder);
    } catch (Throwable t) {
      report(h, "okhttp", t);
    }
  }

  public static Object apache5Classic(Object builder, Object manager) {
    Hooks h = hooks;
    if (h == null) {
      return manager;
    }
    try {
      return h.apache5Classic(builder, manager);
    } catch (Throwable t) {
      report(h, "apache5", t);
      return manager;
    }
  }

  public static Object apache5Async(Object builder, Object manager) {
    Hooks h = hooks;
    if (h == null) {
      return manager;
    }
    try {
      return h.apache5Async(builder, manager);
    } catch (Throwable t) {
      report(h, "apache5-async", t);
      return manager;
    }
  }

  public static Object apache4MainExec(Object builder, Object manager) {
    Hooks h = hooks;
    if (h == null || manager == null) {
      return manager;
    }
    try {
      return h.apache4MainExec(builder, manager);
    } catch (Throwable t) {
      report(h, "apache4", t);
      return manager;
    }
  }

  public static void jettyStarting(Object client) {
    Hooks h = hooks;
    if (h == null || client == null) {
      return;
    }
    try {
      h.jettyStarting(client);
    } catch (Throwable t) {
      report(h, "jetty", t);
    }
  }

  public static Object applicationWrapsJdk(Object delegate) {
    Hooks h = hooks;
    if (h == null || delegate == null) {
      return delegate;
    }
    try {
      return h.applicationWrapsJdk(delegate);
    } catch (Throwable t) {
      report(h, "jdk (application's RegulatedHttpClient)", t);
      return delegate;
    }
  }

  public static void applicationWrapsOkHttp(Object builder) {
    Hooks h = hooks;
    if (h == null || builder == null) {
      return;
    }
    try {
      h.applicationWrapsOkHttp(builder);
    } catch (Throwable t) {
      report(h, "okhttp (application's RegulatedOkHttp)", t);
    }
  }

  public static Object reactorBuilt(Object provider) {
    Hooks h = hooks;
    if (h == null || provider == null) {
      return provider;
    }
    try {
      return h.reactorBuilt(provider);
    } catch (Throwable t) {
      report(h, "reactor", t);
      return provider;
    }
  }

  public static Object applicationWrapsReactor(Object delegate) {
    Hooks h = hooks;
    if (h == null || delegate == null) {
      return delegate;
    }
    try {
      return h.applicationWrapsReactor(delegate);
    } catch (Throwable t) {
      report(h, "reactor (application's RegulatedConnectionProvider)", t);
      return delegate;
    }
  }

  private static void report(Hooks h, String hook, Throwable t) {
    try {
      h.failed(hook, t);
    } catch (Throwable ignored) {
      // Reporting must not break the client either.
    }
  }
}
