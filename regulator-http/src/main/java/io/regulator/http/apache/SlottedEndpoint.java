package io.regulator.http.apache;

import java.lang.ref.Reference;
import java.util.function.Consumer;

/**
 * A leased endpoint of either manager, classic ({@link SlotEndpoint}) or async ({@link
 * SlotAsyncEndpoint}), and the slot it holds: the one piece of code that gives both back.
 *
 * @param <E> the client's endpoint type
 */
interface SlottedEndpoint<E> {
  /** The wrapped manager's own endpoint. */
  E inner();

  /** Gives the slot back; idempotent (a slot's release is). */
  void releaseSlot();

  /**
   * Hands {@code endpoint}'s inner endpoint to {@code release} (the wrapped manager's), then
   * gives back its slot, whatever the manager threw; an endpoint that holds no slot goes to the
   * manager as it is.
   */
  @SuppressWarnings("unchecked")
  static <E> void release(E endpoint, Consumer<E> release) {
    if (!(endpoint instanceof SlottedEndpoint)) {
      release.accept(endpoint);
      return;
    }
    SlottedEndpoint<E> slotted = (SlottedEndpoint<E>) endpoint;
    try {
      release.accept(slotted.inner());
    } finally {
      slotted.releaseSlot();
      // Keeps the endpoint reachable until here, so that a leak watch cannot fire mid-release.
      Reference.reachabilityFence(slotted);
    }
  }

  /** The wrapped manager's endpoint of {@code endpoint}, or {@code endpoint} if it holds none. */
  @SuppressWarnings("unchecked")
  static <E> E unwrap(E endpoint) {
    return (endpoint instanceof SlottedEndpoint)
        ? ((SlottedEndpoint<E>) endpoint).inner()
        : endpoint;
  }
}
