package io.regulator.http.internal;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What failed, under the wrappers that futures put around it. */
public final class Failures {
  private Failures() {}

  /** {@code failure} with every {@link CompletionException} and {@link ExecutionException} looked through. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
