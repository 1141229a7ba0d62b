package io.regulator.reactor.netty;

import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;

/**
 * Installs BlockHound once per JVM (with the Reactor and Netty integrations it finds) and fails a
 * test if anything blocked on an event loop or a Reactor non-blocking thread while it ran, even
 * where the {@link BlockingOperationError} thrown there was swallowed by the code that called it.
 */
final class NoBlockingExtension implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback {
  private static final List<String> VIOLATIONS = new CopyOnWriteArrayList<>();

  /** Class initialization runs once per JVM, whichever thread gets here first. */
  private static final class Installed {
    static {
      BlockHound.install(builder -> builder
          // Netty 4.2's adaptive allocator takes a StampedLock for a moment when it grows its
          // magazines; Netty's own BlockHound integration (4.2.17) does not list it yet. Seen in the
          // test server's allocation, not in anything of ours.
          .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines")
          .blockingMethodCallback(method -> {
        Error error = new BlockingOperationError(method);
        StringBuilder where = new StringBuilder(error.getMessage()).append(" on ").append(Thread.currentThread().getName());
        for (StackTraceElement frame : error.getStackTrace()) {
          where.append("\n\tat ").append(frame);
        }
        VIOLATIONS.add(where.toString());
        throw error;
      }));
    }

    static void touch() {
      // loads the class
    }
  }

  static void install() {
    Installed.touch();
  }

  /** What blocked since the last {@link #reset()}. */
  static List<String> violations() {
    return List.copyOf(VIOLATIONS);
  }

  static void reset() {
    VIOLATIONS.clear();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    install();
    // Everything here is awaited on conditions that turn true within milliseconds.
    Awaitility.setDefaultPollDelay(Duration.ZERO);
    Awaitility.setDefaultPollInterval(Duration.ofMillis(2));
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    reset();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    List<String> found = violations();
    reset();
    if (!found.isEmpty()) {
      throw new AssertionError("blocking calls on non-blocking threads:\n" + String.join("\n", found));
    }
  }
}
