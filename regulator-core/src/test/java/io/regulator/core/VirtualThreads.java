package io.regulator.core;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Virtual threads for tests compiled with {@code --release 17}: made through {@code
 * Thread.ofVirtual()} found reflectively. Before JDK 21 the calling test is skipped with a message
 * (where JDK 25 is installed, tests tagged {@code virtual-threads} run on it instead).
 */
public final class VirtualThreads {
  /** {@code Thread.ofVirtual().unstarted(Runnable)} on JDK 21+, else null. */
  private static final MethodHandle UNSTARTED = findUnstarted();

  private VirtualThreads() {}

  private static MethodHandle findUnstarted() {
    try {
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      return MethodHandles.publicLookup()
          .findVirtual(Class.forName("java.lang.Thread$Builder"), "unstarted",
              MethodType.methodType(Thread.class, Runnable.class))
          .bindTo(builder);
    } catch (ReflectiveOperationException beforeJdk21) {
      return null;
    }
  }

  /** A new, unstarted virtual thread running {@code task}; skips the test before JDK 21. */
  public static Thread unstarted(Runnable task) {
    assumeTrue(UNSTARTED != null,
        "virtual threads need JDK 21+; this is JDK " + Runtime.version().feature());
    try {
      return (Thread) UNSTARTED.invokeExact(task);
    } catch (Throwable e) {
      throw new AssertionError("cannot make a virtual thread", e);
    }
  }
}
