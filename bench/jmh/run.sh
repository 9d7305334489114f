#!/usr/bin/env bash
# JMH micro-benchmarks of Pushline's publish path (bench/jmh, its own Maven project, not a root module).
# Builds and installs core (`mvn install` at the root puts the core snapshot into ~/.m2), builds the
# uber-jar bench/jmh/target/pushline-jmh.jar, checks that the jar holds this checkout's core, runs it, and
# writes to bench/jmh/target: results.json (JMH's JSON), results.txt (JMH's output and table, with the load
# average before and after) and results.md (the Markdown table of dev.pushline.jmh.ResultsTable).
# In-process only: no socket is opened, nothing sleeps.
#
#   bench/jmh/run.sh                                   # every benchmark, defaults for a 2-core box (~6 min)
#   bench/jmh/run.sh 'FanOutBench|SendBench'           # a regex selects benchmarks; other args go to JMH
#   JMH_ARGS="-f 1 -wi 1 -i 1 -w 200ms -r 200ms" bench/jmh/run.sh    # smoke run (~1 min)
#   SKIP_BUILD=1 bench/jmh/run.sh                      # reuse the jar
#
# JMH_ARGS replaces the defaults below as a whole (so drop -prof gc there to lose the B/op column).
set -euo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
JMH=$ROOT/bench/jmh
JAR=$JMH/target/pushline-jmh.jar
OUT=$JMH/target
JMH_ARGS=${JMH_ARGS:-"-f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc"}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "# building Pushline and bench/jmh" >&2
  mvn -q -B -f "$ROOT/pom.xml" -DskipTests install >&2
  mvn -q -B -f "$JMH/pom.xml" package >&2
fi
[ -f "$JAR" ] || { echo "# $JAR is missing; run without SKIP_BUILD" >&2; exit 1; }

# The jar takes core from ~/.m2, which other checkouts of this repository may overwrite with their own
# snapshot at any time: refuse to measure a core other than this checkout's.
CHECK=$(mktemp -d)
trap 'rm -rf "$CHECK"' EXIT
unzip -q "$JAR" 'dev/pushline/*' -d "$CHECK"
( cd "$ROOT/core/target/classes" && find dev -name '*.class' ) | while read -r c; do
  cmp -s "$ROOT/core/target/classes/$c" "$CHECK/$c" || {
    echo "# $JAR holds another build of $c than core/target/classes (another checkout's snapshot in ~/.m2?);" \
      "rebuild without SKIP_BUILD" >&2
    exit 1
  }
done

{
  echo "# start $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); nproc $(nproc)"
  echo "# java -jar $JAR $JMH_ARGS -rf json -rff $OUT/results.json $*"
} | tee "$OUT/results.txt"
# shellcheck disable=SC2086 # JMH_ARGS is a list of arguments
java -jar "$JAR" $JMH_ARGS -rf json -rff "$OUT/results.json" "$@" | tee -a "$OUT/results.txt"
echo "# end $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)" \
  | tee -a "$OUT/results.txt"

echo
java -cp "$JAR" dev.pushline.jmh.ResultsTable "$OUT/results.json" | tee "$OUT/results.md"
