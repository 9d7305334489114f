#!/usr/bin/env bash
# Heap per idle subscribed connection: start a peer, full GC, read the used heap; open N subscribed idle
# connections; full GC, read it again: (after - before) / N. jcmd GC.run + GC.heap_info (G1).
# Loopback only; bounded by idle-conns.js's timeouts. Run bench/run.sh once first (it builds everything).
#   bench/idle-heap.sh [N]          # default 5000; peers pushline (v1) and jws-raw (floor)
set -euo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
T=$ROOT/bench/target; P=$T/peers
N=${1:-5000}
ulimit -n "$(ulimit -Hn)"
used_kib() { jcmd "$1" GC.run >/dev/null; sleep 1; jcmd "$1" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | tr -dc 0-9; }
measure() { # label cmd proto
  local port=$((9800 + RANDOM % 100)) log=$T/idle-$1.log
  bash -c "exec $2 $port" >"$log" 2>&1 & local pid=$!
  for _ in $(seq 1 100); do grep -q READY "$log" && break; sleep 0.1; done
  sleep 1
  local before after
  before=$(used_kib $pid)
  coproc CL { node "$ROOT/bench/idle-conns.js" --url "ws://127.0.0.1:$port" --proto "$3" --n "$N" --hold 60; }
  read -r line <&"${CL[0]}"; echo "# $1: $line" >&2
  sleep 2
  after=$(used_kib $pid)
  kill "$CL_PID" 2>/dev/null || true; kill $pid; wait $pid 2>/dev/null || true
  echo "$1 N=$N heap used after full GC: ${before} KiB idle -> ${after} KiB with N subscribed:" \
    "$(awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }') KiB/conn"
}
J="java ${JAVA_OPTS:--Xms256m -Xmx1g}"
measure pushline "$J -cp '$T/pushline-bench.jar:$T/lib/*' dev.pushline.bench.PushlinePeer" v1
measure jws-raw "$J -cp '$P/jws-raw/target/jws-raw.jar:$P/jws-raw/target/lib/*' bench.JwsRawServer" raw
