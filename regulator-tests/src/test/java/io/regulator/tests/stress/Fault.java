package io.regulator.tests.stress;

/** What the loopback server does with one request. */
enum Fault {
  /** 200 at once. */
  NONE,
  /** 200 after a short delay. */
  SLOW,
  /** No answer until the client gives up (or a bound passes): the client's timeout fires first. */
  HANG,
  /** The connection is closed without a response. */
  RESET,
  /** 429 with {@code Retry-After}. */
  TOO_MANY_REQUESTS,
  /** 503 with {@code Retry-After}. */
  UNAVAILABLE,
  /** The handler throws; the server drops the connection. */
  CRASH
}
