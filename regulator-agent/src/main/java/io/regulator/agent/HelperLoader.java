package io.regulator.agent;

import io.regulator.agent.bootstrap.Bridge;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Defines the integration modules (regulator-http, regulator-okhttp, regulator-httpclient4) and the agent's hooks in a
 * class loader whose parent is the instrumented client's loader, so they link against that
 * client's classes, whichever loader holds them (the class path, a Spring Boot fat jar, a web
 * application). Child-first for those packages only: the agent's copies are used even where the
 * application has its own; everything else, the client and {@code io.regulator} (on the
 * bootstrap class path), comes from the parent. Nothing is injected into the application's loader.
 *
 * <p>Thread-safe (parallel capable).
 */
final class HelperLoader extends ClassLoader {
  static {
    registerAsParallelCapable();
  }

  /** Where the unpacked integration modules sit inside the agent jar. */
  private static final String HELPERS = "regulator-helpers/";

  private final ClassLoader agentLoader;
  private final ConcurrentMap<String, Bridge.Helper> helpers = new ConcurrentHashMap<>();

  HelperLoader(ClassLoader parent, ClassLoader agentLoader) {
    super("regulator-agent-helpers", parent);
    this.agentLoader = agentLoader;
  }

  /** The one instance of the helper class {@code name} (a class of io.regulator.agent.hooks). */
  Bridge.Helper helper(String name) {
    return helpers.computeIfAbsent(name, n -> {
      try {
        return (Bridge.Helper) loadClass(n).getConstructor().newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot create the agent's helper " + n, e);
      }
    });
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    if (!isOwn(name)) {
      return super.loadClass(name, resolve);
    }
    synchronized (getClassLoadingLock(name)) {
      Class<?> loaded = findLoadedClass(name);
      if (loaded == null) {
        loaded = findClass(name);
      }
      if (resolve) {
        resolveClass(loaded);
      }
      return loaded;
    }
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    String path = name.replace('.', '/') + ".class";
    String resource = name.startsWith("io.regulator.agent.hooks.") ? path : HELPERS + path;
    try (InputStream in = agentLoader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new ClassNotFoundException(name + " (no " + resource + " in the agent jar)");
      }
      byte[] bytes = in.readAllBytes();
      return defineClass(name, bytes, 0, bytes.length);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + resource + " from the agent jar", e);
    }
  }

  private static boolean isOwn(String name) {
    return name.startsWith("io.regulator.http.")
        || name.startsWith("io.regulator.okhttp.")
        || name.startsWith("io.regulator.httpclient4.")
        || name.startsWith("io.regulator.jetty.")
        || name.startsWith("io.regulator.reactor.netty.")
        || name.startsWith("io.regulator.agent.hooks.");
  }
}
