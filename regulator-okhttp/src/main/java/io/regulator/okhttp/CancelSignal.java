package io.regulator.okhttp;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Future;
import okhttp3.Call;
import okhttp3.EventListener;

/**
 * Ends a wait (for a slot, or a retry's backoff) when its call is cancelled. OkHttp's {@code
 * cancel()} interrupts no thread: it only closes sockets and tells the call's event listeners. OkHttp
 * 5 lets us add a listener to a running call ({@code Call.addEventListener}), so a wait there ends at
 * once; OkHttp 4 has no such method, and a cancelled call there waits until its slot comes or its
 * timeout passes, then fails at once as cancelled and gives the slot straight back.
 *
 * <p>Stateless and thread-safe.
 */
final class CancelSignal {
  /** {@code Call.addEventListener(EventListener)} on OkHttp 5; null on 4.x. */
  private static final MethodHandle ADD_EVENT_LISTENER = findAddEventListener();

  private CancelSignal() {}

  private static MethodHandle findAddEventListener() {
    try {
      return MethodHandles.publicLookup().findVirtual(Call.class, "addEventListener",
          MethodType.methodType(void.class, EventListener.class));
    } catch (NoSuchMethodException | IllegalAccessException absentBefore5) {
      return null;
    }
  }

  /** Whether a cancel can end a wait early here (OkHttp 5). */
  static boolean supported() {
    return ADD_EVENT_LISTENER != null;
  }

  /**
   * Cancels {@code wait} when {@code call} is cancelled, from now on (or at once if it already is).
   * The listener stays on the call for its life; a cancel after the wait ended finds it done.
   */
  static void cancelOnCancel(Call call, Future<?> wait) {
    if (ADD_EVENT_LISTENER != null) {
      try {
        ADD_EVENT_LISTENER.invokeExact(call, (EventListener) new OnCancel(wait));
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable impossible) {
        // addEventListener declares no checked exception.
        throw new IllegalStateException(impossible);
      }
    }
    if (call.isCanceled()) {
      wait.cancel(false);
    }
  }

  private static final class OnCancel extends EventListener {
    private final Future<?> wait;

    OnCancel(Future<?> wait) {
      this.wait = wait;
    }

    @Override
    public void canceled(Call call) {
      wait.cancel(false);
    }
  }
}
