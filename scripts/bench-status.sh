#!/usr/bin/env bash
# Kept for old instructions: the `status` benchmark of scripts/bench/run.py.
#
# Usage: scripts/bench-status.sh [N] [WORKDIR]
#   N        number of packages (default 200)
#   WORKDIR  where the workspace lives (reused when it holds one of N packages; default: a
#            temp dir, removed afterwards)
# Environment: RELEASE_TOOL (binary to time), RUNS, WARMUP (hyperfine settings).
# The full suite (every command at N = 50, 200, 1000): scripts/bench/run.py; see BENCHMARKS.md.
set -euo pipefail
script_dir=$(cd "$(dirname "$0")" && pwd)
args=(-n "${1:-200}" --only status)
[[ -n ${2:-} ]] && args+=(--workdir "$2")
[[ -n ${RELEASE_TOOL:-} ]] && args+=(--release-tool "$RELEASE_TOOL")
[[ -n ${RUNS:-} ]] && args+=(--runs "$RUNS")
[[ -n ${WARMUP:-} ]] && args+=(--warmup "$WARMUP")
exec python3 "$script_dir/bench/run.py" "${args[@]}"
