package io.regulator.core.internal;

import io.regulator.core.RegulatorMeters;

/** How one acquire ended; its {@link #tag} is the {@code outcome} tag of the acquire timer. */
enum Outcome {
  GRANTED(RegulatorMeters.OUTCOME_GRANTED),
  TIMEOUT(RegulatorMeters.OUTCOME_TIMEOUT),
  CLOSED(RegulatorMeters.OUTCOME_CLOSED),
  OVERLOADED(RegulatorMeters.OUTCOME_OVERLOADED),
  CANCELLED(RegulatorMeters.OUTCOME_CANCELLED),
  INTERRUPTED(RegulatorMeters.OUTCOME_INTERRUPTED),
  SELF_DEADLOCK(RegulatorMeters.OUTCOME_SELF_DEADLOCK);

  final String tag;

  Outcome(String tag) {
    this.tag = tag;
  }
}
