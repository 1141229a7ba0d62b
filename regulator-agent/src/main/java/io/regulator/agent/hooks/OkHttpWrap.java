package io.regulator.agent.hooks;

import io.regulator.HostRegulator;
import io.regulator.RegulatedPool;
import io.regulator.agent.bootstrap.Bridge;
import io.regulator.okhttp.RegulatedOkHttp;
import java.util.List;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;

/**
 * Adds regulator-okhttp's interceptors to an {@link OkHttpClient.Builder} that has none, through
 * {@link RegulatedOkHttp}. The pool closes when the interceptor, shared by every client built from
 * that builder or derived from them, is collected: OkHttp clients have no close. Stateless.
 */
public final class OkHttpWrap implements Bridge.Helper {
  private static final String SLOT_INTERCEPTOR = "io.regulator.okhttp.SlotInterceptor";

  @Override
  public Object apply(Object target, Object extra, String poolName) {
    OkHttpClient.Builder builder = (OkHttpClient.Builder) target;
    if (isRegulated(builder.interceptors())) {
      return null;  // the application's, or ours: a derived client, or RegulatedOkHttp's own build
    }
    RegulatedPool pool = ((HostRegulator) Bridge.regulator).newPool(poolName);
    RegulatedOkHttp.builder(builder, pool)
        .acquireTimeout(Bridge.acquireTimeout)
        .shutdownClientOnClose(false)
        .build();  // builds once with the interceptor added; the constructor then builds from the builder
    List<Interceptor> interceptors = builder.interceptors();
    Bridge.cleaner.register(interceptors.get(interceptors.size() - 1), pool::close);
    return null;
  }

  static boolean isRegulated(List<Interceptor> interceptors) {
    for (Interceptor interceptor : interceptors) {
      if (interceptor.getClass().getName().equals(SLOT_INTERCEPTOR)) {
        return true;
      }
    }
    return false;
  }
}
