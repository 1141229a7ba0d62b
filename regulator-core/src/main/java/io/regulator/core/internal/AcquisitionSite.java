package io.regulator.core.internal;

import io.regulator.HostKey;
import java.util.Arrays;

/**
 * Where a slot was acquired: a throwable that is never thrown, only logged with a leak report.
 * The regulator's own frames are cut from the top of its stack trace, so the first frame is the
 * caller's.
 */
final class AcquisitionSite extends Throwable {
  private static final long serialVersionUID = 1L;
  private static final String INTERNAL = AcquisitionSite.class.getPackageName() + ".";

  AcquisitionSite(HostKey key, String poolName) {
    super("slot of " + key + " acquired by pool '" + poolName + "' here");
    StackTraceElement[] frames = getStackTrace();
    int first = 0;
    while (first < frames.length && frames[first].getClassName().startsWith(INTERNAL)) {
      first++;
    }
    setStackTrace(Arrays.copyOfRange(frames, first, frames.length));
  }
}
