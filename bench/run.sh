#!/usr/bin/env bash
# Pushline in the shared fan-out benchmark (../shared/peers): copies the harness into bench/target/peers,
# applies bench/harness/pushline-peer.patch (the v1 protocol for the load tool, the pushline peers in
# run-all.sh and table.js), builds Pushline and bench/, runs the harness, prints its table and the ratios
# Pushline / each peer. Loopback only; every run is bounded by the harness (timeouts, fixed message counts).
#
#   bench/run.sh                                        # PEERS="jws-raw pushline", N=1000/5000/10000, max+rate
#   PEERS="jws-raw netty ws-raw socketio pushline pushline-raw" REPEAT=2 bench/run.sh
#   NS=1000 MODES=max bench/run.sh                      # a quick smoke run
#   SKIP_BUILD=1 bench/run.sh                           # reuse the copied harness, node_modules and jars
#
# Peers added here: pushline (protocol v1, client publish), pushline-raw (raw frames mapped onto the API
# in process), pushline-nohist (v1 with history off). Env passed through to run-all.sh: PEERS, NS, MODES,
# REPEAT, PROCS, S, MAX_DELIVERIES, RATE_DELIVERIES, RATE_SECONDS, WINDOW, JAVA_OPTS, RESULTS, SKIP_BUILD.
set -euo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
BENCH=$ROOT/bench
SHARED=${SHARED_PEERS:-$ROOT/../shared/peers}
PEERS_DIR=$BENCH/target/peers
export PEERS=${PEERS:-"jws-raw pushline"}
export JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx1g"}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "# building Pushline and bench/" >&2
  mvn -q -B -f "$ROOT/pom.xml" -DskipTests install >&2
  mvn -q -B -f "$BENCH/pom.xml" package >&2
  echo "# copying $SHARED -> $PEERS_DIR and applying the Pushline overlay" >&2
  rm -rf "$PEERS_DIR"
  mkdir -p "$BENCH/target"
  cp -r "$SHARED" "$PEERS_DIR"
  chmod -R u+w "$PEERS_DIR"
  rm -rf "$PEERS_DIR/results" "$PEERS_DIR/node_modules" "$PEERS_DIR"/*/target
  patch -s -p1 -d "$PEERS_DIR" < "$BENCH/harness/pushline-peer.patch"
else
  # run-all.sh builds only the peers it is asked for, and none with SKIP_BUILD=1: fail now, not per run.
  for p in jws-raw:jws-raw netty:netty-peer; do
    case " $PEERS " in *" ${p%%:*} "*)
      [ -f "$PEERS_DIR/${p%%:*}/target/${p#*:}.jar" ] || { echo "# ${p%%:*} is not built; run without SKIP_BUILD" >&2; exit 1; } ;;
    esac
  done
fi

# The harness raises it too; doing it here as well keeps this script usable with SKIP_BUILD on its own.
HARD=$(ulimit -Hn)
WANT=65536; if [ "$HARD" != unlimited ] && [ "$HARD" -lt "$WANT" ]; then WANT=$HARD; fi
ulimit -n "$WANT"

mkdir -p "$PEERS_DIR/results"
export RESULTS=${RESULTS:-$PEERS_DIR/results/run-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
export PUSHLINE_BENCH=$BENCH/target
"$PEERS_DIR/run-all.sh"

echo
node "$BENCH/ratios.js" "$RESULTS"
LOGS=${RESULTS%.jsonl}.logs
echo
echo "slow-consumer policy (STATS lines of the pushline peers; must be 0):"
grep -h '^STATS' "$LOGS"/pushline*.log 2>/dev/null | sort | uniq -c || echo "  (no pushline peer in this run)"
