package io.regulator.agent.hooks;

import io.regulator.agent.bootstrap.Bridge;
import okhttp3.OkHttpClient;

/**
 * Removes the agent's interceptors (classes of the agent's loader, {@code extra}) from a builder the
 * application's own {@code RegulatedOkHttp} is about to regulate, so that a call takes one slot.
 * Stateless.
 */
public final class OkHttpUnwrap implements Bridge.Helper {
  @Override
  public Object apply(Object target, Object extra, String poolName) {
    ((OkHttpClient.Builder) target).interceptors()
        .removeIf(interceptor -> interceptor.getClass().getClassLoader() == extra);
    return null;
  }
}
