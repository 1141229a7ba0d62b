package io.regulator.bench;

/** Distinct, valid host names for the benchmarks. Thread-safe (stateless). */
final class HostNames {
  private HostNames() {}

  /** The {@code i}-th host name, as a real client would see it: lowercase and dotted. */
  static String of(int i) {
    return "h" + i + ".bench.example.com";
  }

  /** {@code gate}'s keys of hosts {@code 0..count-1}. */
  static Object[] keys(HostGate gate, int count) {
    Object[] keys = new Object[count];
    for (int i = 0; i < count; i++) {
      keys[i] = gate.key(of(i));
    }
    return keys;
  }
}
