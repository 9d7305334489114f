#!/usr/bin/env bash
# The scenarios beyond plain fan-out (issue 8): personal channels, connection churn, resume storm.
# Builds Pushline and bench/, then runs each named scenario (default: all four) with
# dev.pushline.bench.scenario.Scenarios: the server under test in a JVM of its own (ScenarioServer, so heap,
# CPU time and descriptors are the server's), the load in another, real WebSocket clients over loopback.
# Prints each scenario's table and exits non-zero if a check failed. Every phase of every scenario is
# bounded in count and time, and each scenario as a whole by `timeout` (TIMEOUT, default 20 min).
#
#   bench/scenarios.sh                                  # channels churn storm storm-raw, full settings (~10 min)
#   QUICK=1 bench/scenarios.sh                          # the same, shorter (churn 30 s instead of 3 min)
#   SKIP_BUILD=1 bench/scenarios.sh churn storm-raw     # only these, without building
#   CHURN_ARGS="--rate 100 --personal" bench/scenarios.sh churn
#
# Scenarios: channels, churn, storm (PushClient, backoff with jitter), storm-raw (JDK WebSocket clients that
# reconnect at once, no jitter). Env: QUICK, SKIP_BUILD, JAVA_OPTS (load JVM, default -Xmx2g), SERVER_JVM
# (server JVM, default -Xmx1g), CHANNELS_ARGS, CHURN_ARGS, STORM_ARGS (extra options, see each scenario's
# Javadoc), TIMEOUT (per scenario, default 20m), OUT (results directory).
set -euo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
BENCH=$ROOT/bench
SCENARIOS=${*:-"channels churn storm storm-raw"}
JAVA_OPTS=${JAVA_OPTS:-"-Xmx2g"}
SERVER_JVM=${SERVER_JVM:-"-Xmx1g"}
OUT=${OUT:-$BENCH/target/scenarios/run-$(date -u +%Y%m%dT%H%M%SZ)}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "# building Pushline and bench/" >&2
  mvn -q -B -f "$ROOT/pom.xml" -DskipTests install >&2
  mvn -q -B -f "$BENCH/pom.xml" package >&2
fi
# This worktree's core classes first: the copy of pushline-core in bench/target/lib comes from ~/.m2, which
# other checkouts on the same box may overwrite between our install and this run.
CP="$ROOT/core/target/classes:$BENCH/target/pushline-bench.jar:$BENCH/target/lib/*"

HARD=$(ulimit -Hn)
WANT=65536; if [ "$HARD" != unlimited ] && [ "$HARD" -lt "$WANT" ]; then WANT=$HARD; fi
ulimit -n "$WANT"

mkdir -p "$OUT"
echo "# results in $OUT; ulimit -n $(ulimit -n); $(nproc) cores; uptime: $(uptime)" >&2
status=0
for s in $SCENARIOS; do
  case $s in
    channels) args=(channels ${CHANNELS_ARGS:-}) ;;
    churn) args=(churn ${CHURN_ARGS:-}) ;;
    storm) args=(storm --client pushclient ${STORM_ARGS:-}) ;;
    storm-raw) args=(storm --client raw ${STORM_ARGS:-}) ;;
    *) echo "unknown scenario $s; known: channels churn storm storm-raw" >&2; exit 2 ;;
  esac
  [ "${QUICK:-0}" = 1 ] && args+=(--quick)
  echo "# $s: ${args[*]} (uptime: $(uptime | sed 's/.*load/load/'))" >&2
  rc=0
  # shellcheck disable=SC2086
  timeout "${TIMEOUT:-20m}" java $JAVA_OPTS -Dscenario.dir="$OUT" -cp "$CP" \
    dev.pushline.bench.scenario.Scenarios "${args[@]}" --server-jvm "$SERVER_JVM" >"$OUT/$s.md" 2>"$OUT/$s.log" || rc=$?
  if [ $rc != 0 ]; then
    echo "# $s: FAILED (exit $rc; 124 = timed out); its log: $OUT/$s.log" >&2
    status=1
  fi
done

echo
echo "## Scenarios, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, uptime: $(uptime | sed 's/.*load/load/')"
for s in $SCENARIOS; do
  cat "$OUT/$s.md" 2>/dev/null || true
done
exit $status
