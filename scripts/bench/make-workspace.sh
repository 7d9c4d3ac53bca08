#!/usr/bin/env bash
# Build a synthetic release-tool workspace of N submodule packages with bare remotes.
#
# Usage: scripts/bench/make-workspace.sh [--in-tree] N WORKDIR
#   --in-tree  the N packages are directories of the root repository (in-tree packages, issue
#              #21): the same files, commits and tags per package, but as root commits that
#              touch packages/pkgNNN, tagged pkgNNN-v0.1.0 (tag_template) in the root, pushed
#              to the root's remote; staging/prod pin `{ git = <root remote>, tag = ...,
#              subdirectory = "packages/pkgNNN" }`. Built with one `git fast-import`.
#   N        number of packages (>= 1)
#   WORKDIR  where to build (must be empty or absent); the workspace root is WORKDIR/ws
#
# Environment:
#   SETUP_JOBS  parallelism (default 2 x nproc)
#
# Layout (what release-tool discovers through release_tool.toml):
#   WORKDIR/remotes/pkgNNN.git   bare remotes, branch main
#   WORKDIR/remotes/_root.git    the root's bare remote (origin), branch main
#   WORKDIR/ws/                  root repo: release_tool.toml, pyproject.toml (uv workspace whose
#                                dependencies are all packages, each a `{ workspace = true }`
#                                source), staging/ and prod/ manifests pinning every package to
#                                v0.1.0 on its remote, .gitmodules, packages/pkgNNN submodules
#                                with absorbed git dirs in ws/.git/modules/
# Each package: version 0.1.0, three commits (`feat: initial pkgNNN`, `feat: add hello()`,
# `docs: document hello()`), pushed with an annotated tag v0.1.0, and origin/main as upstream.
# v0.1.0 tags the FIRST commit (two commits to release) except in every 4th package
# (i % 4 == 3), where it tags HEAD (nothing to release). Each package depends on its parent in a
# binary tree (pkg i -> pkg (i-1)/2), so the graph is acyclic. Work trees are clean: the runner
# (scripts/bench/run.py) adds and removes local edits.
#
# Hermetic git (no user/system config, fixed identities and dates): same N, same SHAs.
set -euo pipefail

IN_TREE=0
if [[ ${1:-} == --in-tree ]]; then
    IN_TREE=1
    shift
fi
N=${1:-}
WORKDIR=${2:-}
case $N in
'' | *[!0-9]*)
    echo "usage: $0 N WORKDIR  (N a positive integer)" >&2
    exit 2
    ;;
esac
if ((N < 1)) || [[ -z $WORKDIR ]]; then
    echo "usage: $0 N WORKDIR  (N a positive integer)" >&2
    exit 2
fi
if [[ -e $WORKDIR ]] && [[ -n $(ls -A "$WORKDIR") ]]; then
    echo "WORKDIR $WORKDIR is not empty" >&2
    exit 2
fi
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
SETUP_JOBS=${SETUP_JOBS:-$(($(nproc) * 2))}

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

# One package: bare remote, repo with history and tag pushed to it, git dir absorbed into the
# root's .git/modules. Prints "<sha> <path>" (one short write: atomic on the shared pipe).
make_pkg() {
    local i=$1 name parent dir remote gitdir deps
    name=$(printf 'pkg%0*d' "$WIDTH" "$i")
    dir=$WS/packages/$name
    remote=$WORKDIR/remotes/$name.git
    gitdir=$WS/.git/modules/packages/$name
    deps=""
    if ((i > 0)); then
        parent=$(printf 'pkg%0*d' "$WIDTH" $(((i - 1) / 2)))
        deps="\"$parent>=0.1.0\""
    fi

    git init -q --bare -b main "$remote"
    git init -q -b main "$dir"
    mkdir -p "$dir/src/$name"
    cat >"$dir/pyproject.toml" <<PYPROJECT
[project]
name = "$name"
version = "0.1.0"
description = "Benchmark package $name"
requires-python = ">=3.10"
dependencies = [$deps]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/$name"]
PYPROJECT
    printf '"""%s."""\n\n__version__ = "0.1.0"\n' "$name" >"$dir/src/$name/__init__.py"
    printf '# %s\n' "$name" >"$dir/README.md"
    printf '__pycache__/\n*.egg-info/\n' >"$dir/.gitignore"

    git -C "$dir" add -A
    git -C "$dir" commit -q -m "feat: initial $name"
    ((i % 4 == 3)) || git -C "$dir" tag -a -m "$name 0.1.0" v0.1.0
    printf '\n\ndef hello() -> str:\n    return "hello from %s"\n' "$name" >>"$dir/src/$name/__init__.py"
    git -C "$dir" commit -q -a -m "feat: add hello()" -m "Says hello from $name."
    printf '\nSee `hello()`.\n' >>"$dir/README.md"
    git -C "$dir" commit -q -a -m "docs: document hello()"
    ((i % 4 == 3)) && git -C "$dir" tag -a -m "$name 0.1.0" v0.1.0

    # Remote: written straight into the config (saves a process), then push with upstream.
    printf '[remote "origin"]\n\turl = file://%s\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n' \
        "$remote" >>"$dir/.git/config"
    git -C "$dir" push -q -u origin main --follow-tags

    # Absorb the git dir like `git submodule absorbgitdirs` does.
    mkdir -p "$(dirname "$gitdir")"
    mv "$dir/.git" "$gitdir"
    printf 'gitdir: ../../.git/modules/packages/%s\n' "$name" >"$dir/.git"
    printf '[core]\n\tworktree = ../../../../packages/%s\n' "$name" >>"$gitdir/config"

    printf '%s packages/%s\n' "$(git -C "$dir" rev-parse HEAD)" "$name"
}
export -f make_pkg

if ((IN_TREE)); then
    echo "== Building in-tree workspace: N=$N in $WORKDIR"
    t0=$(now)
    mkdir -p "$WORKDIR/remotes"
    git init -q -b main "$WS"
    # The whole history as one fast-import stream: per package (in order) `feat: initial`,
    # `feat: add hello()`, `docs: document hello()` touching only packages/pkgNNN, its tag
    # pkgNNN-v0.1.0 on the first commit (on the last for i % 4 == 3), then the root's files.
    python3 - "$N" "$WIDTH" "$WORKDIR" <<'PY' | git -C "$WS" fast-import --quiet
import sys
n, width, workdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = sys.stdout.buffer
who = "Bench Author <author@bench.invalid> 1704067200 +0000"
by = "Bench Committer <committer@bench.invalid> 1704067200 +0000"
mark = 0
def data(text):
    b = text.encode()
    out.write(b"data %d\n" % len(b) + b + b"\n")
def commit(message, files):
    global mark
    mark += 1
    out.write(b"commit refs/heads/main\nmark :%d\n" % mark)
    out.write(f"author {who}\ncommitter {by}\n".encode())
    data(message)
    if mark > 1:
        out.write(b"from :%d\n" % (mark - 1))
    for path, text in files:
        out.write(f"M 100644 inline {path}\n".encode())
        data(text)
    return mark
def tag(name, at, message):
    out.write(f"tag {name}\nfrom :{at}\ntagger {by}\n".encode())
    data(message)
names = [f"pkg{i:0{width}d}" for i in range(n)]
for i, name in enumerate(names):
    d = f"packages/{name}"
    deps = f'"{names[(i - 1) // 2]}>=0.1.0"' if i > 0 else ""
    py = (f'[project]\nname = "{name}"\nversion = "0.1.0"\ndescription = "Benchmark package {name}"\n'
          f'requires-python = ">=3.10"\ndependencies = [{deps}]\n\n[build-system]\nrequires = ["hatchling"]\n'
          f'build-backend = "hatchling.build"\n\n[tool.hatch.build.targets.wheel]\npackages = ["src/{name}"]\n')
    init = f'"""{name}."""\n\n__version__ = "0.1.0"\n'
    readme = f"# {name}\n"
    first = commit(f"feat: initial {name}", [
        (f"{d}/pyproject.toml", py), (f"{d}/src/{name}/__init__.py", init),
        (f"{d}/README.md", readme), (f"{d}/.gitignore", "__pycache__/\n*.egg-info/\n")])
    if i % 4 != 3:
        tag(f"{name}-v0.1.0", first, f"{name} 0.1.0")
    init += f'\n\ndef hello() -> str:\n    return "hello from {name}"\n'
    commit(f"feat: add hello()\n\nSays hello from {name}.", [(f"{d}/src/{name}/__init__.py", init)])
    last = commit("docs: document hello()", [(f"{d}/README.md", readme + "\nSee `hello()`.\n")])
    if i % 4 == 3:
        tag(f"{name}-v0.1.0", last, f"{name} 0.1.0")
head = '[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
deps = "dependencies = [\n" + "".join(f'    "{x}",\n' for x in names) + "]\n"
dev = (head + deps + '\n[tool.uv]\npackage = false\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n\n'
       "[tool.uv.sources]\n" + "".join(f"{x} = {{ workspace = true }}\n" for x in names))
pinned = (head + deps + "\n[tool.uv]\npackage = false\n\n[tool.uv.sources]\n"
          + "".join(f'{x} = {{ git = "file://{workdir}/remotes/_root.git", tag = "{x}-v0.1.0", '
                    f'subdirectory = "packages/{x}" }}\n' for x in names))
commit(f"Benchmark workspace with {n} in-tree packages", [
    (".gitignore", ".venv/\nrelease_tool/\n"), ("release_tool.toml", "[tool.release_tool]\n"),
    ("pyproject.toml", dev), ("staging/pyproject.toml", pinned), ("prod/pyproject.toml", pinned)])
out.write(b"done\n")
PY
    git -C "$WS" reset -q --hard main
    t_pkgs=$(now)
    git init -q --bare -b main "$WORKDIR/remotes/_root.git"
    git -C "$WS" remote add origin "file://$WORKDIR/remotes/_root.git"
    git -C "$WS" push -q -u origin main --tags
    t1=$(now)
    echo "setup: $(elapsed "$t0" "$t1")s (history $(elapsed "$t0" "$t_pkgs")s, push $(elapsed "$t_pkgs" "$t1")s)"
    exit 0
fi

echo "== Building workspace: N=$N in $WORKDIR (setup jobs: $SETUP_JOBS)"
t0=$(now)
mkdir -p "$WORKDIR/remotes" "$WS/packages" "$WS/staging" "$WS/prod"
git init -q -b main "$WS"

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

# Root: manifests, .gitmodules, submodule entries in .git/config, gitlinks in the index, commit.
printf '[tool.release_tool]\n' >"$WS/release_tool.toml"
python3 - "$WS" "$WORKDIR" "$gitlinks" <<'PY'
import sys
ws, workdir, gitlinks = sys.argv[1:4]
names = [line.split()[1].split("/", 1)[1] for line in open(gitlinks)]
head = '[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
deps = "dependencies = [\n" + "".join(f'    "{n}",\n' for n in names) + "]\n"
dev = (head + deps + "\n[tool.uv]\npackage = false\n\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n\n"
       "[tool.uv.sources]\n" + "".join(f"{n} = {{ workspace = true }}\n" for n in names))
pinned = (head + deps + "\n[tool.uv]\npackage = false\n\n[tool.uv.sources]\n"
          + "".join(f'{n} = {{ git = "file://{workdir}/remotes/{n}.git", tag = "v0.1.0" }}\n'
                    for n in names))
open(f"{ws}/pyproject.toml", "w").write(dev)
open(f"{ws}/staging/pyproject.toml", "w").write(pinned)
open(f"{ws}/prod/pyproject.toml", "w").write(pinned)
PY
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
printf '.venv/\nrelease_tool/\n' >"$WS/.gitignore"
while read -r sha path; do
    printf '160000 commit %s\t%s\n' "$sha" "$path"
done <"$gitlinks" | git -C "$WS" update-index --add --index-info
git -C "$WS" add .gitignore release_tool.toml pyproject.toml staging/pyproject.toml prod/pyproject.toml .gitmodules
git -C "$WS" commit -q -m "Benchmark workspace with $N packages"
# The root's own remote (`release --push` pushes the root last).
git init -q --bare -b main "$WORKDIR/remotes/_root.git"
git -C "$WS" remote add origin "file://$WORKDIR/remotes/_root.git"
git -C "$WS" push -q -u origin main
t1=$(now)
echo "setup: $(elapsed "$t0" "$t1")s (packages and remotes $(elapsed "$t0" "$t_pkgs")s, root repo $(elapsed "$t_pkgs" "$t1")s)"
