package io.regulator;

/** The base of every exception a regulator throws on purpose; immutable. */
public class RegulatorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message that reads well in a log line. */
  public RegulatorException(String message) {
    super(message);
  }

  /** An exception with a message and its cause. */
  public RegulatorException(String message, Throwable cause) {
    super(message, cause);
  }
}
