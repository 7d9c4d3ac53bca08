#!/usr/bin/env bash
# Benchmark `release-tool status` on a synthetic workspace of N submodule packages.
#
# Usage: scripts/bench-status.sh [N] [WORKDIR]
#   N        number of packages (default 200)
#   WORKDIR  where to build the workspace (default: a fresh mktemp dir, removed at the end
#            unless KEEP=1; a WORKDIR given here is never removed and must be empty or absent)
#
# Environment:
#   RELEASE_TOOL  binary to benchmark (default: ../target/release/release-tool next to this script)
#   KEEP=1        keep the mktemp WORKDIR
#   RUNS, WARMUP  hyperfine settings (default 10 and 2)
#   SETUP_JOBS    parallelism for building the workspace (default 2 x nproc)
#
# Layout built (what release-tool discovers through release_tool.toml):
#   WORKDIR/remotes/pkgNNN.git   bare remotes, branch main
#   WORKDIR/ws/                  root repo: release_tool.toml, pyproject.toml (uv workspace),
#                                staging/ and prod/ manifests, .gitmodules, packages/pkgNNN
#                                submodules with absorbed git dirs in ws/.git/modules/
# Each package: 3 commits (v0.1.0 tags the first), pushed to its remote with origin/main as
# upstream; depends on its parent in a binary tree (pkg i -> pkg (i-1)/2), so the graph is
# acyclic. Every 10th package has a modified tracked file and an untracked file.
set -euo pipefail

N=${1:-200}
case $N in
'' | *[!0-9]*)
    echo "usage: $0 [N] [WORKDIR]  (N must be a positive integer)" >&2
    exit 2
    ;;
esac
if ((N < 1)); then
    echo "N must be at least 1" >&2
    exit 2
fi

script_dir=$(cd "$(dirname "$0")" && pwd)
RELEASE_TOOL=${RELEASE_TOOL:-$script_dir/../target/release/release-tool}
if [[ ! -x $RELEASE_TOOL ]]; then
    echo "release-tool binary not found at $RELEASE_TOOL (run \`cargo build --release\` or set RELEASE_TOOL)" >&2
    exit 2
fi
RELEASE_TOOL=$(cd "$(dirname "$RELEASE_TOOL")" && pwd)/$(basename "$RELEASE_TOOL")
command -v hyperfine >/dev/null || {
    echo "hyperfine is required" >&2
    exit 2
}
command -v python3 >/dev/null || {
    echo "python3 is required" >&2
    exit 2
}

RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
NPROC=$(nproc)
SETUP_JOBS=${SETUP_JOBS:-$((NPROC * 2))}

if [[ -n ${2:-} ]]; then
    WORKDIR=$2
    if [[ -e $WORKDIR ]] && [[ -n $(ls -A "$WORKDIR") ]]; then
        echo "WORKDIR $WORKDIR is not empty" >&2
        exit 2
    fi
    mkdir -p "$WORKDIR"
    WORKDIR=$(cd "$WORKDIR" && pwd)
    REMOVE_WORKDIR=0
else
    WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-status.XXXXXX")
    REMOVE_WORKDIR=1
    [[ ${KEEP:-0} == 1 ]] && REMOVE_WORKDIR=0
fi
cleanup() {
    if ((REMOVE_WORKDIR)); then
        rm -rf "$WORKDIR"
    else
        echo "workspace kept in $WORKDIR"
    fi
}
trap cleanup EXIT

# Hermetic git: no user/system config, fixed identities and dates (reproducible SHAs).
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Bench Author" GIT_AUTHOR_EMAIL="author@bench.invalid"
export GIT_COMMITTER_NAME="Bench Committer" GIT_COMMITTER_EMAIL="committer@bench.invalid"
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
export GIT_TERMINAL_PROMPT=0
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE

WS=$WORKDIR/ws
WIDTH=${#N}
((WIDTH < 3)) && WIDTH=3
export WORKDIR WS WIDTH

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

# Build one package: bare remote, repo with history pushed to it, git dir absorbed into the
# root's .git/modules. Prints "<sha> <path>" (one short write: atomic on the shared pipe).
make_pkg() {
    local i=$1 name parent dir remote gitdir deps
    name=$(printf 'pkg%0*d' "$WIDTH" "$i")
    dir=$WS/packages/$name
    remote=$WORKDIR/remotes/$name.git
    gitdir=$WS/.git/modules/packages/$name
    if ((i > 0)); then
        parent=$(printf 'pkg%0*d' "$WIDTH" $(((i - 1) / 2)))
        deps="\"$parent\""
    else
        deps=""
    fi

    git init -q --bare -b main "$remote"
    git init -q -b main "$dir"
    mkdir -p "$dir/src/$name"
    cat >"$dir/pyproject.toml" <<EOF
[project]
name = "$name"
version = "0.1.0"
description = "Benchmark package $name"
requires-python = ">=3.10"
dependencies = [$deps]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
EOF
    printf '"""%s."""\n\n__version__ = "0.1.0"\n' "$name" >"$dir/src/$name/__init__.py"
    printf '# %s\n' "$name" >"$dir/README.md"
    printf '__pycache__/\n*.egg-info/\n' >"$dir/.gitignore"

    git -C "$dir" add -A
    git -C "$dir" commit -q -m "Initial $name"
    git -C "$dir" tag -a -m "$name 0.1.0" v0.1.0
    printf '\n\ndef hello() -> str:\n    return "hello from %s"\n' "$name" >>"$dir/src/$name/__init__.py"
    git -C "$dir" commit -q -a -m "Add hello()"
    printf '\nSee `hello()`.\n' >>"$dir/README.md"
    git -C "$dir" commit -q -a -m "Document hello()"

    # Remote: written straight into the config (saves a process), then push with upstream.
    printf '[remote "origin"]\n\turl = file://%s\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n' \
        "$remote" >>"$dir/.git/config"
    git -C "$dir" push -q -u origin main --follow-tags

    # Absorb the git dir like `git submodule absorbgitdirs` does.
    mkdir -p "$(dirname "$gitdir")"
    mv "$dir/.git" "$gitdir"
    printf 'gitdir: ../../.git/modules/packages/%s\n' "$name" >"$dir/.git"
    printf '[core]\n\tworktree = ../../../../packages/%s\n' "$name" >>"$gitdir/config"

    if ((i % 10 == 0)); then
        printf '# local edit\n' >>"$dir/src/$name/__init__.py"
        printf 'scratch\n' >"$dir/notes.txt"
    fi

    printf '%s packages/%s\n' "$(git -C "$dir" rev-parse HEAD)" "$name"
}
export -f make_pkg

# ---------------------------------------------------------------------------------------------
echo "== Building workspace: N=$N in $WORKDIR (setup jobs: $SETUP_JOBS)"
t0=$(now)
mkdir -p "$WORKDIR/remotes" "$WS/packages" "$WS/staging" "$WS/prod"
git init -q -b main "$WS"

project_table='[project]
name = "bench"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = []'
printf '[tool.release_tool]\n' >"$WS/release_tool.toml"
printf '%s\n\n[tool.uv]\npackage = false\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n' \
    "$project_table" >"$WS/pyproject.toml"
printf '%s\n' "$project_table" >"$WS/staging/pyproject.toml"
printf '%s\n' "$project_table" >"$WS/prod/pyproject.toml"

# Batches of 8 per bash process keep process start-up down; output lines are "<sha> <path>".
# Any failure in a package fails the batch, xargs and (pipefail) the script.
gitlinks=$WORKDIR/gitlinks.txt
# shellcheck disable=SC2016 # $@ is expanded by the inner bash
seq 0 $((N - 1)) |
    xargs -P "$SETUP_JOBS" -n 8 bash -c 'set -euo pipefail; for i in "$@"; do make_pkg "$i"; done' _ |
    sort -k2 >"$gitlinks"
if [[ $(wc -l <"$gitlinks") -ne $N ]]; then
    echo "setup failed: $(wc -l <"$gitlinks") of $N packages built" >&2
    exit 1
fi
t_pkgs=$(now)

# Root: .gitmodules, submodule entries in .git/config, gitlinks in the index, one commit.
{
    while read -r _ path; do
        printf '[submodule "%s"]\n\tpath = %s\n\turl = file://%s/remotes/%s.git\n\tbranch = main\n' \
            "$path" "$path" "$WORKDIR" "${path#packages/}"
    done <"$gitlinks"
} >"$WS/.gitmodules"
{
    while read -r _ path; do
        printf '[submodule "%s"]\n\tactive = true\n\turl = file://%s/remotes/%s.git\n' \
            "$path" "$WORKDIR" "${path#packages/}"
    done <"$gitlinks"
} >>"$WS/.git/config"
while read -r sha path; do
    printf '160000 commit %s\t%s\n' "$sha" "$path"
done <"$gitlinks" | git -C "$WS" update-index --add --index-info
git -C "$WS" add release_tool.toml pyproject.toml staging/pyproject.toml prod/pyproject.toml .gitmodules
git -C "$WS" commit -q -m "Benchmark workspace with $N packages"
t1=$(now)
setup_secs=$(elapsed "$t0" "$t1")
echo "setup: ${setup_secs}s (packages and remotes $(elapsed "$t0" "$t_pkgs")s, root repo $(elapsed "$t_pkgs" "$t1")s)"

# ---------------------------------------------------------------------------------------------
echo "== Sanity checks"
cd "$WS"
sm_count=$(git -c protocol.file.allow=always submodule foreach --quiet 'echo x' | wc -l)
if [[ $sm_count -ne $N ]]; then
    echo "git submodule foreach saw $sm_count submodules, expected $N" >&2
    exit 1
fi
first=$(printf 'pkg%0*d' "$WIDTH" 0)
git -C "packages/$first" status --short --branch | head -n 3

json=$WORKDIR/status.json
rc=0
"$RELEASE_TOOL" -C "$WS" status --json >"$json" || rc=$?
if ((rc != 0 && rc != 1)); then
    echo "release-tool status --json exited $rc" >&2
    exit 1
fi
python3 - "$json" "$N" "$rc" <<'EOF'
import collections, json, sys
path, n, rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
report = json.load(open(path))
pkgs = report["packages"]
print(f"release-tool status --json: {len(pkgs)} packages, exit {rc}")
if len(pkgs) != n:
    sys.exit(f"expected {n} packages, got {len(pkgs)}")
print("  rows by status:", dict(collections.Counter(p["status"] for p in pkgs)))
print("  dirty packages:", sum(1 for p in pkgs if p["dirty"]))
problems = collections.Counter(m for p in pkgs for m in p["problems"] if not m.startswith("version "))
problems.update("version X already tagged but N commits since"
                for p in pkgs for m in p["problems"] if m.startswith("version "))
for msg, count in problems.most_common():
    print(f"  problem x{count}: {msg}")
if rc == 1:
    print("  errors:")
    for p in pkgs:
        if p["status"] == "error":
            print(f"    {p['name']}: {'; '.join(p['problems'])}")
EOF

# How many git processes the tool spawns (its debug log has one line per git call).
git_calls=$(RELEASE_TOOL_LOG=release_tool=debug "$RELEASE_TOOL" -C "$WS" status 2>&1 >/dev/null |
    grep -c ' git ' || true)
python3 -c "import sys; c, n = int(sys.argv[1]), int(sys.argv[2]); print(f'git processes per status run: {c} ({c / n:.2f} per package)')" \
    "$git_calls" "$N"

# ---------------------------------------------------------------------------------------------
echo "== Timing (hyperfine --warmup $WARMUP --runs $RUNS, nproc=$NPROC, load average: $(cut -d' ' -f1-3 /proc/loadavg))"
rt_q=$(printf '%q' "$RELEASE_TOOL")
ignore=()
((rc == 1)) && ignore=(--ignore-failure)
results=$WORKDIR/hyperfine-$N.json
hyperfine --shell=none --warmup "$WARMUP" --runs "$RUNS" --style basic "${ignore[@]}" \
    --export-json "$results" --export-markdown "$WORKDIR/hyperfine-$N.md" \
    -n "baseline: git submodule foreach git status" "git submodule foreach --quiet git status --porcelain" \
    -n "release-tool status" "$rt_q status" \
    -n "release-tool status -j 1" "$rt_q status -j 1" \
    -n "release-tool status --json" "$rt_q status --json"

echo "== Summary (N=$N, setup ${setup_secs}s)"
python3 - "$results" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["baseline: git submodule foreach git status"]
cpu = lambda r: r["user"] + r["system"]  # CPU time (children included): robust to other load
for name, r in res.items():
    print(f"  {name:45s} {r['mean'] * 1000:8.1f} ms ± {r['stddev'] * 1000:6.1f} ms"
          f"   ({r['mean'] / base['mean']:.2f}x baseline)   cpu {cpu(r) * 1000:8.1f} ms")
status = res["release-tool status"]
print(f"status/baseline cpu ratio: {cpu(status) / cpu(base):.2f}")
print(f"status/baseline ratio: {status['mean'] / base['mean']:.2f}")
EOF
