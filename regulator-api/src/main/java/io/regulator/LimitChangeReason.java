package io.regulator;

/** Why an adaptive limit moved (see {@link RegulatorListener#limitChanged}). Immutable. */
public enum LimitChangeReason {
  /** A window saw the host push back (a drop): the limit was cut, once for the window. */
  PUSH_BACK,
  /** A window reached the limit without a drop: the limit went up by one. */
  PROBE,
  /** A latency-based algorithm moved the limit. */
  LATENCY
}
