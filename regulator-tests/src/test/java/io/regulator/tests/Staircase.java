package io.regulator.tests;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds the offset at which a race is a coin toss, and keeps each round there: the staircase
 * method. Each round, one side of the race (the "delayed" side) waits {@link #delayed} before it
 * acts and the other side waits {@link #other}; after the round, {@link #record} moves the offset
 * towards the delayed side if it won (it came too early) and away if it lost. Steps grow with the
 * offset, so it settles within a few dozen rounds whether the sides meet after a microsecond or
 * after a loaded machine's millisecond, and thousands of rounds then land on the instant that
 * matters instead of piling up on one side.
 *
 * <p>Not thread-safe: one test thread drives it between rounds.
 */
final class Staircase {
  private static final long MIN_STEP_NANOS = 500;
  private static final long MAX_OFFSET_NANOS = 20_000_000;

  private long offsetNanos;
  private int delayedWon;
  private int delayedLost;

  /** The offset of the next round: the current one give or take two steps. */
  long next() {
    long step = step();
    long jitter = ThreadLocalRandom.current().nextLong(-2 * step, 2 * step + 1);
    return clamp(offsetNanos + jitter);
  }

  /** How long the delayed side waits in a round of {@code offset}. */
  static long delayed(long offset) {
    return Math.max(0, offset);
  }

  /** How long the other side waits in a round of {@code offset}. */
  static long other(long offset) {
    return Math.max(0, -offset);
  }

  /** Records who won the round: {@code delayedSideWon} if the delayed side got there first. */
  void record(boolean delayedSideWon) {
    long step = step();
    if (delayedSideWon) {
      delayedWon++;
      offsetNanos = clamp(offsetNanos + step);
    } else {
      delayedLost++;
      offsetNanos = clamp(offsetNanos - step);
    }
  }

  private long step() {
    return Math.max(MIN_STEP_NANOS, Math.abs(offsetNanos) / 8);
  }

  private static long clamp(long offset) {
    return Math.max(-MAX_OFFSET_NANOS, Math.min(MAX_OFFSET_NANOS, offset));
  }

  int delayedWon() {
    return delayedWon;
  }

  int delayedLost() {
    return delayedLost;
  }

  /** Both sides won at least a twentieth of the rounds. */
  boolean wentBothWaysOften() {
    int rounds = delayedWon + delayedLost;
    return delayedWon >= rounds / 20 && delayedLost >= rounds / 20;
  }

  @Override
  public String toString() {
    return "delayed side won " + delayedWon + ", lost " + delayedLost + "; offset settled near "
        + (offsetNanos / 1_000) + " us";
  }
}
