#!/usr/bin/env bash
# `status` of N in-tree packages against `git status` of their one repository (issue #21 item 3:
# at N = 1000, no more wall time than `git status` of the repository plus 20%).
#
# Usage: scripts/bench/in_tree_status.sh N WORKDIR [RUNS]
#   N        number of in-tree packages (scripts/bench/make-workspace.sh --in-tree N)
#   WORKDIR  where to build the workspace (must be empty or absent; reused when it holds one)
#   RUNS     hyperfine runs (default 10)
#
# Times, with hyperfine (one warm-up), in WORKDIR/ws:
#   baseline   git status --porcelain                   (one process over the whole repository)
#   cold       release-tool status, its caches removed before each run (hyperfine --prepare)
#   warm       release-tool status, caches filled by the warm-up
#   on top     release-tool status one commit after the cached counts (each run starts from
#              the counts cached before that commit: they are put back before each run)
# and prints the ratios to the baseline. The workspace is clean and rests 3.5 s before the
# timed runs (the status cache stores no package changed in the last 3 seconds).
# Environment: RELEASE_TOOL (default target/release/release-tool).
set -euo pipefail

N=${1:?usage: $0 N WORKDIR [RUNS]}
WORKDIR=${2:?usage: $0 N WORKDIR [RUNS]}
RUNS=${3:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
RT=${RELEASE_TOOL:-$HERE/../../target/release/release-tool}
RT=$(cd "$(dirname "$RT")" && pwd)/$(basename "$RT")

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
if [[ ! -d $WORKDIR/ws ]]; then
    "$HERE/make-workspace.sh" --in-tree "$N" "$WORKDIR" >&2
fi
WS=$WORKDIR/ws
cd "$WS"
# "on top": the counts cached at HEAD, then one more commit (in the first package): a run
# counts the new commit on top of the cached counts (the cache put back before each run).
"$RT" status >/dev/null 2>&1 || true
SAVED=$(mktemp)
cp .release_tool/cache/in_tree.json "$SAVED"
set -- packages/*/ # the first package (no `ls | head`: its SIGPIPE ends the script)
FIRST=${1%/}
echo "# one more commit $(date +%s%N)" >>"$FIRST/README.md"
git add -- "$FIRST/README.md"
git -c user.name=bench -c user.email=bench@example.com commit -q -m "docs: one more commit"
git status --porcelain >/dev/null # the index refreshed once, as any later run finds it
sleep 3.5
OUT=$(mktemp)
# One --prepare per command: hyperfine applies a single one to every command.
hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$OUT" \
    --prepare true --prepare 'rm -rf .release_tool/cache' --prepare true \
    --prepare "cp $SAVED .release_tool/cache/in_tree.json" \
    -n baseline 'git status --porcelain' \
    -n cold "$RT status" \
    -n warm "$RT status" \
    -n "on top" "$RT status" >&2
rm -f "$SAVED"
python3 - "$OUT" "$N" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["baseline"]["median"]
print(f"N = {sys.argv[2]} in-tree packages (median of runs; × git status --porcelain)")
for name in ("baseline", "cold", "warm", "on top"):
    r = res[name]
    cpu = r["user"] + r["system"]
    print(f"  {name:8} {r['median'] * 1000:8.1f} ms  {r['median'] / base:5.2f}×   CPU {cpu * 1000:7.1f} ms")
EOF
rm -f "$OUT"
