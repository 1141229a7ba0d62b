package io.regulator.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Live heap after full collections. Run under {@code -XX:+UseSerialGC}: there a full collection
 * leaves only live objects in the heap, so differences between two readings are what the code in
 * between kept reachable. Not thread-safe (it assumes nobody else allocates while it reads).
 */
final class HeapGauge {
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private HeapGauge() {}

  /** Bytes of heap still used once repeated full collections stop freeing anything. */
  static long liveBytes() {
    long previous = Long.MAX_VALUE;
    int unchanged = 0;
    for (int i = 0; i < 60 && unchanged < 5; i++) {
      System.gc();
      long used = MEMORY.getHeapMemoryUsage().getUsed();
      // Weak references, cleaners and finalizers free their objects only a cycle or more after
      // they became unreachable, and only once their handler threads ran (a regulator's reaper
      // unmaps a million collected hosts in about a second); so wait for five readings in a row,
      // a quarter of a second apart in all, to agree.
      unchanged = used == previous ? unchanged + 1 : 0;
      previous = used;
      pause();
    }
    return previous;
  }

  private static void pause() {
    try {
      Thread.sleep(60);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
