#!/usr/bin/env bash
# A/B of `release --bump patch` (no push) on a fresh N-package benchmark workspace per run, for
# two release-tool binaries, alternating (issue #19, journal in O(steps)). uv is a no-op stub
# here, so the numbers are release-tool's own work: git, the journal, the plan.
#
# Usage: scripts/bench/release_journal.sh N RUNS OLD_BINARY NEW_BINARY
# Prints one line per run: variant, wall seconds, peak RSS KiB, fsync+fdatasync calls (strace,
# a separate run), journal.json bytes at the end; then the processes that run started (execve,
# successful only), git ones by command (`git -C … -c … commit` counts as `commit`).
set -euo pipefail
N=$1 RUNS=$2 OLD=$3 NEW=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# `uv lock` writes a (stub) lock where it runs; everything else succeeds doing nothing.
printf '#!/bin/sh\n[ "$1" = lock ] && echo "# stub" >uv.lock\nexit 0\n' >"$work/uv" && chmod +x "$work/uv"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 NO_COLOR=1 \
    GIT_AUTHOR_NAME="Bench Author" GIT_AUTHOR_EMAIL=author@bench.invalid \
    GIT_COMMITTER_NAME="Bench Committer" GIT_COMMITTER_EMAIL=committer@bench.invalid \
    RELEASE_TOOL_UV="$work/uv" RELEASE_TOOL_NO_UV_DOWNLOAD=1
fresh() { rm -rf "$work/ws"; SETUP_JOBS=4 bash "$here/make-workspace.sh" "$N" "$work/ws" >/dev/null; }
for ((r = 1; r <= RUNS; r++)); do
    for variant in old new; do
        bin=$OLD; [[ $variant == new ]] && bin=$NEW
        fresh
        /usr/bin/time -f "%e %M" -o "$work/t" "$bin" -C "$work/ws/ws" release --bump patch >/dev/null 2>"$work/err" ||
            { cat "$work/err" >&2; exit 1; }
        read -r wall rss <"$work/t"
        bytes=$(stat -c %s "$work/ws/ws/.release_tool/journal.json")
        fresh
        strace -f -qq -z -e trace=execve,fsync,fdatasync -o "$work/s" "$bin" -C "$work/ws/ws" release --bump patch >/dev/null 2>&1
        syncs=$(grep -cE ' (fsync|fdatasync)\(' "$work/s" || true)
        procs=$(grep -c ' execve(' "$work/s" || true)
        echo "$variant wall=${wall}s rss=${rss}KiB fsyncs=$syncs journal=${bytes}B processes=$procs"
        grep ' execve("[^"]*/git"' "$work/s" |
            sed -E 's/.*\[("[^"]*"(, )?)//; s/"//g; s/\], .*//' |
            awk -F', ' '{i = 1; while ($i == "-C" || $i == "-c" || $i == "--no-optional-locks") i += ($i == "--no-optional-locks") ? 1 : 2; print $i}' |
            sort | uniq -c | sort -rn | awk '{printf "  git %s: %s\n", $2, $1}'
    done
done
