#!/usr/bin/env bash
# Runs every Regulator benchmark against every peer, in a short form that finishes in under five
# minutes on two cores; `run-short.sh full` runs the JMH benchmarks with their annotated settings
# (2 forks, 3 warm-up and 5 measured iterations of 1 s) and the harnesses at full size instead.
#
# Results go to regulator-bench/target/results/: one .txt (human) and, for JMH, one .json each.
# JAVA picks the JVM (default: java on PATH); JAVA21 a JDK 21+ for the virtual-thread runs
# (default: Temurin 25 where this project's machines have it; skipped when absent).
# Benchmarks are never part of `./mvnw verify`: this script is the only thing that runs them.
set -euo pipefail
cd "$(dirname "$0")"

mode="${1:-short}"
java="${JAVA:-java}"
java21="${JAVA21:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
jar=target/benchmarks.jar
out=target/results

if [[ ! -f "$jar" || -n "${REBUILD:-}" ]]; then
  (cd .. && ./mvnw -B -q -pl regulator-bench -am package -DskipTests)
fi
mkdir -p "$out"

if [[ "$mode" == full ]]; then
  jmh_opts=()
  idle_hosts=100000; waiter_hosts=1000; churn_hosts=1000000; handoff_rounds=20000
else
  jmh_opts=(-f 1 -wi 1 -w 500ms -i 2 -r 500ms)
  idle_hosts=10000; waiter_hosts=100; churn_hosts=100000; handoff_rounds=2000
fi

jmh() { # name, java, benchmark and JMH options...
  local name="$1" jvm="$2"; shift 2
  echo "== $name"
  "$jvm" -jar "$jar" "$@" "${jmh_opts[@]}" -foe true -rf json -rff "$out/$name.json" \
    | tee "$out/$name.log" | grep -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark\.)' | grep -v -E 'gc\.(count|time)' \
    | tee "$out/$name.txt"
}

harness() { # name, java, JVM options and main class with its arguments...
  local name="$1" jvm="$2"; shift 2
  echo "== $name"
  "$jvm" "$@" | tee "$out/$name.txt"
}

start=$(date +%s)
"$java" -version 2>&1 | head -1 | tee "$out/jdk.txt"
jmh uncontended "$java" UncontendedBenchmark -prof gc
jmh per-request "$java" PerRequestBenchmark -prof gc
# Ratios that hold on a loaded machine: contenders in turns, in blocks shorter than a time slice.
harness paired-1 "$java" -cp "$jar" io.regulator.bench.PairedRatios 400 1
harness paired-10000 "$java" -Xms1g -Xmx1g -cp "$jar" io.regulator.bench.PairedRatios 300 10000
jmh one-host-2-threads "$java" OneHostContendedBenchmark
# -si false: with synchronized iterations JMH keeps finished threads looping until every thread
# finishes its operation, and a barging peer's finished threads then starve the queued ones for
# good (on two carriers, virtual threads never get preempted out of that loop).
jmh oversubscribed-platform "$java" OversubscribedBenchmark -si false
if [[ -x "$java21" ]]; then
  jmh oversubscribed-virtual "$java21" OversubscribedBenchmark -si false \
    -jvmArgsAppend -Djmh.executor=VIRTUAL
fi
harness handoff-platform "$java" -cp "$jar" io.regulator.bench.HandoffLatency "$handoff_rounds" platform
if [[ -x "$java21" ]]; then
  harness handoff-virtual "$java21" -cp "$jar" io.regulator.bench.HandoffLatency "$handoff_rounds" virtual
fi
harness footprint "$java" -XX:+UseSerialGC -Xmx2g -Djdk.attach.allowAttachSelf=true \
  -cp "$jar" io.regulator.bench.Footprint "$idle_hosts" "$waiter_hosts"
harness churn "$java" -XX:+UseSerialGC -Xms3g -Xmx3g -cp "$jar" io.regulator.bench.Churn "$churn_hosts"
echo "== done in $(( $(date +%s) - start )) s; results in $(pwd)/$out"
