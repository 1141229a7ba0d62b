package io.regulator.http.internal;

import io.regulator.HostKey;
import java.util.Arrays;

/**
 * Where a leased connection's slot was taken: a throwable that is never thrown, only logged with a
 * leak report. The frames of this module and of HttpClient are cut from the top of its stack
 * trace, so that the first frame, which {@link io.regulator.SlotLeak#toString()} names, is the
 * application's call into the client.
 */
final class AcquisitionSite extends Throwable {
  private static final long serialVersionUID = 1L;
  private static final String[] INTERNAL = {
    AcquisitionSite.class.getPackageName() + ".", "io.regulator.http.apache.", "org.apache.hc."
  };

  AcquisitionSite(HostKey key, String poolName) {
    super("slot of " + key + " acquired by pool '" + poolName + "' here");
    StackTraceElement[] frames = getStackTrace();
    int first = 0;
    while (first < frames.length && internal(frames[first].getClassName())) {
      first++;
    }
    setStackTrace(Arrays.copyOfRange(frames, first, frames.length));
  }

  private static boolean internal(String className) {
    for (String prefix : INTERNAL) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
