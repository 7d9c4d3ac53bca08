#!/usr/bin/env python3
"""Benchmark release-tool against serial `git submodule foreach` baselines (issue #8).

For each workspace size N (default 50, 200 and 1000) this builds a workspace with
`make-workspace.sh` (or reuses one under --workdir), then times every case below with hyperfine,
each next to its baseline: the same work done serially by `git submodule foreach` (or, for
`lock`/`sync`, by bare uv). Per command it records the wall time (mean ± σ), the CPU time (user +
sys of the whole process tree), the peak RSS of the largest process (`/usr/bin/time -f %M`), the
number of processes started (successful `execve` under `strace -f`) and, with --instructions, the
instructions the release-tool process itself executes (callgrind, children not traced).

It prints one table per N and writes everything to a JSON file (--out).

    scripts/bench/run.py                          # N = 50, 200, 1000, every case
    scripts/bench/run.py -n 200 --only status     # one size, one case
    scripts/bench/run.py --workdir /tmp/bench --keep   # keep (and later reuse) the workspaces
    scripts/bench/run.py --release-tool /path/to/other/release-tool   # A/B another binary

Cases (state: `dirty` = every 10th package has a modified and an untracked file; `clean` = none;
`warm` = a `status` run first, so its caches are filled; `10% edited` = warm, then a file of every
10th package is touched before each run (its times move: `git status` runs again for it);
`10% moved` = warm, then both cache entries of every 10th package are dropped before each run, as
if a new commit had moved their HEAD: `git status` and the tag distances run again for them).
Before every timed case the workspace rests for 3.5 s, so the status cache's racy margin (3 s:
it stores no package changed in the last 3 seconds) does not hide what it does.

| case          | release-tool                 | baseline (serial)                                   |
|---------------|------------------------------|-----------------------------------------------------|
| status        | status (cold, warm, 10% edited, 10% moved), status -j 1 | git submodule foreach --quiet git status --porcelain |
| status-fetch  | status --fetch               | foreach: git fetch --quiet --tags origin; git status --porcelain |
| changes       | changes                      | foreach: git status --porcelain; if dirty: diff --stat, diff, one diff per untracked file |
| notes         | notes                        | foreach: newest tag, and if commits since: log, diff --stat, diff |
| release       | release --dry-run            | foreach: newest merged tag, log since it, status     |
| release-run   | release --bump patch         | foreach: version edit, changelog, commit, tag, next-dev commit; root commit |
| release-push  | release --bump patch --push  | the same, plus one atomic push per package and the root's push |
| foreach       | foreach -- git status        | git submodule foreach --quiet git status             |
| lock          | lock dev                     | uv lock (offline, warm cache)                        |
| sync          | sync dev                     | uv sync (offline, warm cache)                        |
| lock-fresh    | lock dev, uv.lock removed    | uv lock, uv.lock removed (a full resolution)         |
| sync-fresh    | sync dev, .venv removed      | uv sync, .venv removed (every package installed)     |

The release cases change the workspace: a pristine copy (taken once, not timed) is put back
before every run, and uv is a stub that only writes a stub `uv.lock`, so they time release-tool's
own work as the baseline does (`lock`/`sync` time uv).

Every case also reports its ratio to the `status` baseline
(`git submodule foreach --quiet git status --porcelain`), which issue #8's targets refer to.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
REPO = SCRIPT_DIR.parent.parent
STATUS_BASELINE = ["git", "submodule", "foreach", "--quiet", "git", "status", "--porcelain"]

# Baselines that need more than one git command per package run through `sh -c` (foreach does
# that itself when given one argument). They do the git work the command does, serially.
CHANGES_SH = (
    'if [ -n "$(git status --porcelain)" ]; then git status --porcelain; '
    "git diff --stat HEAD; git diff HEAD; "
    "git ls-files -z --others --exclude-standard | xargs -0 -r -n1 git diff --no-index /dev/null; fi; true"
)
NOTES_SH = (
    't=$(git describe --tags --abbrev=0 --match "v*" 2>/dev/null); '
    'if [ -n "$(git rev-list ${t:+$t..}HEAD)" ]; then git log --format=%H%n%s%n%b ${t:+$t..}HEAD; '
    "git diff --stat ${t:-4b825dc642cb6eb9a060e54bf8d69288fbee4904} HEAD; "
    "git diff ${t:-4b825dc642cb6eb9a060e54bf8d69288fbee4904} HEAD; fi"
)
RELEASE_SH = (
    't=$(git describe --tags --abbrev=0 --match "v*" 2>/dev/null); '
    "git log --format=%H%n%s%n%b ${t:+$t..}HEAD; git status --porcelain --branch"
)
FETCH_SH = "git fetch --quiet --tags origin && git status --porcelain"
# The serial baseline of a real release (issue #19): per package with commits since its newest
# tag, what `release --bump patch` does with git, by hand: version edit, a changelog written from
# the log, one commit, an annotated tag, the next-dev edit and its commit (and, with --push, one
# atomic push of the branch and the tag); then one root commit of the new submodule pointers (and
# its push). Every bench package is at 0.1.0, so the edits are fixed strings.
RELEASE_PKG_SH = (
    't=$(git describe --tags --abbrev=0 --match "v*" 2>/dev/null); '
    'if [ -n "$(git rev-list ${t:+$t..}HEAD)" ]; then '
    'n=${sm_path##*/}; '
    "sed -i 's/^version = \"0.1.0\"$/version = \"0.1.1\"/' pyproject.toml && "
    '{ printf "## [0.1.1]\\n\\n"; git log --format="- %s" ${t:+$t..}HEAD; } >CHANGELOG.md && '
    "git add -- pyproject.toml CHANGELOG.md && "
    'git commit -q -m "Release $n 0.1.1" -- pyproject.toml CHANGELOG.md && '
    'git tag -a -m "Release $n 0.1.1" v0.1.1 && '
    "sed -i 's/^version = \"0.1.1\"$/version = \"0.1.2.dev0\"/' pyproject.toml && "
    'git commit -q -m "chore: start 0.1.2.dev0 development" -- pyproject.toml'
    "{push}; fi"
)


def release_baseline(push: bool) -> list[str]:
    pkg = RELEASE_PKG_SH.replace("{push}", " && git -c protocol.file.allow=always push -q --atomic origin main v0.1.1" if push else "")
    root = "git add -- packages && git commit -q -m 'release: packages'"
    if push:
        root += " && git push -q origin main"
    return ["sh", "-c", f"{shlex.join(foreach(pkg))} && {root}"]


def foreach(script: str) -> list[str]:
    return ["git", "submodule", "foreach", "--quiet", script]


CASES = {
    "status": {
        "state": "dirty",
        "baseline": STATUS_BASELINE,
        "commands": [
            ("status (cold cache)", ["status"], "cold"),
            ("status (warm cache)", ["status"], "warm"),
            # "moved" before "edited": a touched package stays out of the status cache for the
            # racy margin (3 s), which would add to the next case's work.
            ("status (warm, 10% moved)", ["status"], "moved"),
            ("status (warm, 10% edited)", ["status"], "edited"),
            ("status -j 1", ["status", "-j", "1"], "cold"),
        ],
        "ok": {0, 1},
    },
    "status-fetch": {
        "state": "dirty",
        # Inside `git submodule foreach` git allows file:// only when told (GIT_PROTOCOL_FROM_USER=0).
        "baseline": ["git", "-c", "protocol.file.allow=always", *foreach(FETCH_SH)[1:]],
        "commands": [("status --fetch", ["status", "--fetch"], "warm")],
        "ok": {0, 1},
    },
    "changes": {
        "state": "dirty",
        "baseline": foreach(CHANGES_SH),
        "commands": [("changes", ["changes"], None)],
        "ok": {0},
    },
    "notes": {
        "state": "clean",
        "baseline": foreach(NOTES_SH),
        "commands": [("notes", ["notes"], None)],
        "ok": {0},
    },
    "release": {
        "state": "clean",
        "baseline": foreach(RELEASE_SH),
        "commands": [("release --dry-run", ["release", "--dry-run"], None)],
        "ok": {0},
    },
    # A real release, on a fresh copy of the workspace before every run (the restore is not timed).
    # uv is a no-op stub here (it writes a stub uv.lock for `uv lock`), so the numbers are
    # release-tool's own work, as in the baseline; `lock`/`sync` measure uv's part.
    "release-run": {
        "state": "clean",
        "fresh": True,
        "baseline": release_baseline(False),
        "commands": [("release --bump patch", ["release", "--bump", "patch"], None)],
        "ok": {0},
    },
    "release-push": {
        "state": "clean",
        "fresh": True,
        "baseline": release_baseline(True),
        "commands": [("release --bump patch --push", ["release", "--bump", "patch", "--push"], None)],
        "ok": {0},
    },
    "foreach": {
        "state": "dirty",
        "baseline": ["git", "submodule", "foreach", "--quiet", "git", "status"],
        "commands": [("foreach -- git status", ["foreach", "--", "git", "status"], None)],
        "ok": {0},
    },
    "lock": {
        "state": "uv",
        "baseline": ["{uv}", "lock"],
        "commands": [("lock dev", ["lock", "dev"], None)],
        "ok": {0},
    },
    "sync": {
        "state": "uv",
        "baseline": ["{uv}", "sync"],
        "commands": [("sync dev", ["sync", "dev"], None)],
        "ok": {0},
    },
    # The same two with real work for uv: a lock resolved again from scratch (uv.lock removed
    # before every run, as after a dependency change) and a sync into a new venv (as in a fresh
    # clone). Both still offline, from the warm cache.
    "lock-fresh": {
        "state": "uv",
        "prepare": ["rm", "-f", "uv.lock"],
        "baseline": ["{uv}", "lock"],
        "commands": [("lock dev (no uv.lock)", ["lock", "dev"], None)],
        "ok": {0},
    },
    "sync-fresh": {
        "state": "uv",
        "prepare": ["rm", "-rf", ".venv"],
        "baseline": ["{uv}", "sync"],
        "commands": [("sync dev (no .venv)", ["sync", "dev"], None)],
        "ok": {0},
    },
}

CACHE_DIR = ".release_tool/cache"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def hermetic_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "RELEASE_TOOL_LOG"):
        env.pop(k, None)
    env.update(
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Bench Author",
        GIT_AUTHOR_EMAIL="author@bench.invalid",
        GIT_COMMITTER_NAME="Bench Committer",
        GIT_COMMITTER_EMAIL="committer@bench.invalid",
        NO_COLOR="1",
    )
    if extra:
        env.update(extra)
    return env


class Workspace:
    """A generated workspace and the local edits the cases need."""

    def __init__(self, path: Path, n: int, env: dict[str, str]):
        self.dir = path
        self.ws = path / "ws"
        self.n = n
        self.env = env
        self.width = max(3, len(str(n)))
        self.state = None

    def name(self, i: int) -> str:
        return f"pkg{i:0{self.width}d}"

    def set_state(self, state: str) -> None:
        """`dirty`: every 10th package gets a modified tracked file and an untracked file;
        `clean`: those edits are undone. The indexes are refreshed afterwards, so no command
        pays for stat information the edits made stale."""
        want_dirty = state == "dirty"
        if self.state == want_dirty:
            return
        for i in range(0, self.n, 10):
            pkg = self.ws / "packages" / self.name(i)
            init = pkg / "src" / self.name(i) / "__init__.py"
            text = init.read_text()
            marker = "# local edit\n"
            if want_dirty and marker not in text:
                init.write_text(text + marker)
                (pkg / "notes.txt").write_text("scratch\n")
            elif not want_dirty and marker in text:
                init.write_text(text.replace(marker, ""))
                (pkg / "notes.txt").unlink(missing_ok=True)
        subprocess.run(
            foreach("git update-index -q --refresh || true"),
            cwd=self.ws, env=self.env, check=True, stdout=subprocess.DEVNULL,
        )
        self.state = want_dirty
        rest()

    def clear_cache(self) -> None:
        shutil.rmtree(self.ws / CACHE_DIR, ignore_errors=True)

    def move_tenth(self) -> None:
        """Drop the cache entries of every 10th package (as if their HEAD had moved)."""
        drop_cache_entries(self.ws, 10)


def rest() -> None:
    """Wait out the status cache's racy margin (3 s) after changing files."""
    time.sleep(3.5)


def every_nth_package(ws: Path, every: int) -> list[Path]:
    """Every `every`th package directory, in name order (the same set for every case)."""
    return sorted((ws / "packages").iterdir())[::every]


def drop_cache_entries(ws: Path, every: int) -> None:
    """Both caches (tag distances, git status) forget the same packages, every `every`th."""
    keys = {f"packages/{p.name}" for p in every_nth_package(ws, every)}
    for name in ("tags.json", "status.json"):
        path = ws / CACHE_DIR / name
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        data["packages"] = {k: v for k, v in data["packages"].items() if k not in keys}
        path.write_text(json.dumps(data))


def touch_tenth(ws: Path, every: int) -> None:
    """Touch a tracked file of every `every`th package: same content, new times."""
    for pkg in every_nth_package(ws, every):
        os.utime(pkg / "pyproject.toml")


def build_workspace(path: Path, n: int, env: dict[str, str]) -> None:
    marker = path / "ws" / "release_tool.toml"
    if marker.is_file() and (path / "gitlinks.txt").is_file():
        count = len((path / "gitlinks.txt").read_text().splitlines())
        if count != n:
            sys.exit(f"{path} holds a workspace of {count} packages, not {n}")
        log(f"== Reusing the workspace in {path}")
        return
    subprocess.run([str(SCRIPT_DIR / "make-workspace.sh"), str(n), str(path)], env=env, check=True)


def prepare_uv(ws: Path, uv: str, env: dict[str, str]) -> None:
    """Lock and sync once online (untimed), so the timed runs find a warm cache offline."""
    log("== uv: first lock and sync (untimed; builds every package's editable wheel once)")
    t0 = time.time()
    for args in (["lock"], ["sync"]):
        subprocess.run([uv, *args, "--quiet"], cwd=ws, env=env, check=True)
    log(f"   done in {time.time() - t0:.1f}s")


def uv_stub(base: Path) -> Path:
    """A uv that does nothing but write a stub `uv.lock` for `uv lock` (the release cases)."""
    stub = base / "uv-stub"
    if not stub.is_file():
        stub.write_text('#!/bin/sh\n[ "$1" = lock ] && echo "# stub" >uv.lock\nexit 0\n')
        stub.chmod(0o755)
    return stub


def fresh_copy(ws: Workspace, base: Path, _stub: Path) -> list[str]:
    """The prepare command of a case that changes the workspace (a release): it puts back a
    pristine copy of the workspace and its remotes, taken now, before every run. The workspace
    directory itself stays (hyperfine's and the commands' working directory)."""
    pristine = base / f"n{ws.n}-pristine"
    if not pristine.is_dir():
        log(f"== pristine copy of N={ws.n} for the release cases")
        pristine.mkdir()
        for part in ("ws", "remotes"):
            subprocess.run(["cp", "-a", str(ws.dir / part), str(pristine / part)], check=True)
    script = " && ".join(
        f"find {shlex.quote(str(ws.dir / part))} -mindepth 1 -delete && "
        f"cp -a {shlex.quote(str(pristine / part))}/. {shlex.quote(str(ws.dir / part))}/"
        for part in ("ws", "remotes"))
    return ["sh", "-c", script]


def expand(argv: list[str], uv: str) -> list[str]:
    return [uv if a == "{uv}" else a for a in argv]


def run_once(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    return subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def peak_rss_kib(argv: list[str], cwd: Path, env: dict[str, str]) -> int | None:
    if not Path("/usr/bin/time").exists():
        return None
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%M", *argv], cwd=cwd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        text = out.read().strip().splitlines()
        return int(text[-1]) if text and text[-1].isdigit() else None


EXECVE = re.compile(r'^(\d+)\s+execve\("([^"]+)"')
RESUMED = re.compile(r'^(\d+)\s+<\.\.\. execve resumed>.*=\s+0$')


def process_counts(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, int] | None:
    """Processes started (successful execve) by a run, by program name."""
    if not shutil.which("strace"):
        return None
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-e", "signal=none",
                        "-o", out.name, *argv], cwd=cwd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        counts: dict[str, int] = {}
        pending: dict[str, str] = {}  # pid -> program of an execve strace split in two lines
        for line in out:
            line = line.strip()
            if m := EXECVE.match(line):
                prog = os.path.basename(m.group(2))
                if line.endswith("<unfinished ...>"):
                    pending[m.group(1)] = prog
                elif re.search(r"\)\s+=\s+0$", line):
                    counts[prog] = counts.get(prog, 0) + 1
            elif (m := RESUMED.match(line)) and m.group(1) in pending:
                prog = pending.pop(m.group(1))
                counts[prog] = counts.get(prog, 0) + 1
    return counts


def own_cpu_s(argv: list[str], cwd: Path, env: dict[str, str], runs: int,
              prepare: list[str] | None = None) -> float | None:
    """CPU time (task-clock) of the first process alone, children not counted: what the tool
    itself costs on top of the git or uv processes it starts. Mean of `runs` runs (`perf stat
    --no-inherit`); None without perf."""
    if not shutil.which("perf"):
        return None
    total = 0.0
    for _ in range(runs):
        if prepare:
            run_once(prepare, cwd, env)
        res = subprocess.run(["perf", "stat", "--no-inherit", "-x", ",", "-e", "task-clock",
                              *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        line = next((l for l in res.stderr.splitlines() if "task-clock" in l), None)
        if line is None:
            return None
        try:
            total += float(line.split(",")[0]) / 1000.0
        except ValueError:
            return None
    return total / runs


def instructions(argv: list[str], cwd: Path, env: dict[str, str]) -> int | None:
    """Instructions executed by the first process only (callgrind, children not traced)."""
    if not shutil.which("valgrind"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
             "--trace-children=no", *argv],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        m = re.search(r"Collected : (\d+)", res.stderr)
        return int(m.group(1)) if m else None


def hyperfine(commands: list[tuple[str, list[str], str | None]], ws: Workspace, runs: int,
              warmup: int, out: Path, prepare: list[str] | None = None) -> dict[str, dict]:
    """Time `commands` (label, argv, cache) with hyperfine; cache "cold" empties the status cache
    before every run, "warm" fills it once before (the run before fills it again), "moved" drops
    every 10th package's entry before every run. `prepare` runs before every run of every
    command."""
    args = ["hyperfine", "--shell=none", "--style", "basic", "--ignore-failure",
            "--warmup", str(warmup), "--runs", str(runs), "--export-json", str(out)]
    for label, argv, cache in commands:
        if cache == "cold":
            args += ["--prepare", shlex.join(["rm", "-rf", str(ws.ws / CACHE_DIR)])]
        elif cache in ("moved", "edited"):
            flag = "--drop-cache-entries" if cache == "moved" else "--touch-tenth"
            args += ["--prepare", shlex.join([sys.executable, __file__, flag, str(ws.ws)])]
        elif prepare:
            args += ["--prepare", shlex.join(prepare)]
        else:
            args += ["--prepare", "true"]
        args += ["-n", label, shlex.join(argv)]
    subprocess.run(args, cwd=ws.ws, env=ws.env, check=True, stdout=sys.stderr)
    return {r["command"]: r for r in json.loads(out.read_text())["results"]}


def bench_size(n: int, base: Path, args, env: dict[str, str]) -> list[dict]:
    ws = Workspace(base / f"n{n}", n, env)
    build_workspace(ws.dir, n, env)
    rt = args.release_tool
    uv = args.uv
    runs = args.runs if args.runs else (5 if n >= 1000 else 10)
    warmup = args.warmup if args.warmup is not None else (1 if n >= 1000 else 2)
    rows = []
    status_base = None
    uv_ready = False
    for case_name in args.only:
        case = CASES[case_name]
        if case["state"] == "uv":
            if not uv:
                log(f"== {case_name}: skipped (no uv; pass --uv)")
                continue
            if n not in args.uv_sizes:
                log(f"== {case_name}: skipped at N={n} (--uv-sizes)")
                continue
            ws.set_state("clean")
            if not uv_ready:
                prepare_uv(ws.ws, uv, env)
                uv_ready = True
            run_env = dict(env, UV_OFFLINE="1", RELEASE_TOOL_UV=uv)
        else:
            ws.set_state(case["state"])
            run_env = env
        saved_env = ws.env
        ws.env = run_env
        baseline = expand(case["baseline"], uv or "uv")
        commands = [("baseline", baseline, None)]
        for label, tool_args, cache in case["commands"]:
            commands.append((label, [rt, *tool_args], cache))
        prepare = case.get("prepare")
        if case.get("fresh"):
            prepare = fresh_copy(ws, base, uv_stub(base))
            run_env = dict(run_env, RELEASE_TOOL_UV=str(uv_stub(base)), RELEASE_TOOL_NO_UV_DOWNLOAD="1")
            ws.env = run_env
        # Sanity: each command runs and exits as expected before it is timed.
        for label, argv, _ in commands:
            if prepare:
                run_once(prepare, ws.ws, run_env)
            code = run_once(argv, ws.ws, run_env)
            ok = {0} if label == "baseline" else case["ok"]
            if code not in ok:
                sys.exit(f"N={n} {case_name}: `{shlex.join(argv)}` exited {code} (expected {sorted(ok)})")
        # uv's quick no-op runs are short and noisy: more runs for a steady mean.
        case_runs = args.runs or (30 if case["state"] == "uv" else runs)
        load_before = loadavg()
        log(f"== N={n} {case_name} (load {load_before}; runs {case_runs}, warmup {warmup})")
        results = hyperfine(commands, ws, case_runs, warmup,
                            base / f"hyperfine-{n}-{case_name}.json", prepare)
        load_after = loadavg()
        if any(cache == "edited" for _, _, cache in commands):
            rest()  # the touched packages settle before the counts below
        base_mean = results["baseline"]["mean"]
        if case_name == "status":
            status_base = results["baseline"]
        for label, argv, cache in commands:
            r = results[label]
            def before() -> None:
                if cache == "cold":
                    ws.clear_cache()
                elif cache == "moved":
                    run_once(argv, ws.ws, run_env)
                    ws.move_tenth()
                elif cache == "edited":
                    run_once(argv, ws.ws, run_env)
                    touch_tenth(ws.ws, 10)
                elif prepare:
                    run_once(prepare, ws.ws, run_env)

            if cache == "warm":
                run_once(argv, ws.ws, run_env)
            before()
            rss = peak_rss_kib(argv, ws.ws, run_env)
            before()
            procs = process_counts(argv, ws.ws, run_env)
            own = None
            if label != "baseline":
                if cache in ("warm", "moved", "edited"):
                    run_once(argv, ws.ws, run_env)
                own_runs = 3 if n >= 1000 else 5
                own_prepare = None
                if cache == "cold":
                    own_prepare = ["rm", "-rf", str(ws.ws / CACHE_DIR)]
                elif cache == "moved":
                    own_prepare = [sys.executable, __file__, "--drop-cache-entries", str(ws.ws)]
                elif cache == "edited":
                    own_prepare = [sys.executable, __file__, "--touch-tenth", str(ws.ws)]
                elif prepare:
                    own_prepare = prepare
                own = own_cpu_s(argv, ws.ws, run_env, own_runs, own_prepare)
            instr = None
            if args.instructions and label != "baseline":
                before()
                instr = instructions(argv, ws.ws, run_env)
            row = {
                "n": n,
                "case": case_name,
                "command": label if label != "baseline" else f"baseline ({case_name})",
                "argv": [a.replace(str(rt), "release-tool") for a in argv],
                "mean_s": r["mean"],
                "stddev_s": r["stddev"],
                "median_s": r["median"],
                "min_s": r["min"],
                "max_s": r["max"],
                "user_s": r["user"],
                "system_s": r["system"],
                "cpu_s": r["user"] + r["system"],
                "own_cpu_s": own,
                "ratio": r["mean"] / base_mean,
                "ratio_status_baseline": None,
                "peak_rss_kib": rss,
                "processes": sum(procs.values()) if procs else None,
                "git_processes": procs.get("git") if procs else None,
                "processes_by_program": procs,
                "instructions": instr,
                "runs": case_runs,
                "load_before": load_before,
                "load_after": load_after,
            }
            rows.append(row)
        if case.get("fresh"):
            run_once(prepare, ws.ws, run_env)  # the next case finds the workspace unreleased
        ws.env = saved_env
    if status_base is None and any(r["case"] != "status" for r in rows):
        # Every ratio to the status baseline needs it: time it alone.
        ws.set_state("dirty")
        res = hyperfine([("baseline", STATUS_BASELINE, None)], ws, runs, warmup,
                        base / f"hyperfine-{n}-status-baseline.json")
        status_base = res["baseline"]
    if status_base is not None:
        for row in rows:
            row["ratio_status_baseline"] = row["mean_s"] / status_base["mean"]
    if not args.keep_workspaces:
        shutil.rmtree(ws.dir, ignore_errors=True)
    return rows


def fmt_time(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def fmt_sd(mean: float, sd: float) -> str:
    return f"{fmt_time(mean)} ± {sd * 1000:.0f}" if mean < 1 else f"{fmt_time(mean)} ± {sd:.2f}"


def table(rows: list[dict]) -> str:
    head = ("| N | case | command | wall (mean ± σ) | × own baseline | × status baseline "
            "| CPU (all processes) | own CPU | peak RSS | processes (git) |")
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        rss = f"{r['peak_rss_kib'] / 1024:.1f} MiB" if r["peak_rss_kib"] else "—"
        procs = (f"{r['processes']} ({r['git_processes'] or 0})"
                 if r["processes"] is not None else "—")
        rs = r["ratio_status_baseline"]
        rs = f"{rs:.2f}" if rs is not None else "—"
        own = r.get("own_cpu_s")
        own = f"{own * 1000:.1f} ms" if own is not None else "—"
        lines.append(
            f"| {r['n']} | {r['case']} | {r['command']} | {fmt_sd(r['mean_s'], r['stddev_s'])} "
            f"| {r['ratio']:.2f} | {rs} | {fmt_time(r['cpu_s'])} | {own} | {rss} | {procs} |")
    return "\n".join(lines)


def machine() -> dict:
    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return None
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), None)
    mem = next((line.split()[1] for line in open("/proc/meminfo")
                if line.startswith("MemTotal")), "0")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "git": out(["git", "--version"]),
        "hyperfine": out(["hyperfine", "--version"]),
        "python": platform.python_version(),
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--drop-cache-entries":
        # hyperfine's --prepare for the "10% moved" status case.
        drop_cache_entries(Path(sys.argv[2]), 10)
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--touch-tenth":
        # hyperfine's --prepare for the "10% edited" status case.
        touch_tenth(Path(sys.argv[2]), 10)
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--sizes", default="50,200,1000",
                   help="comma-separated workspace sizes (default 50,200,1000)")
    p.add_argument("--only", default=",".join(CASES),
                   help=f"comma-separated cases (default all: {','.join(CASES)})")
    p.add_argument("--runs", type=int, help="hyperfine runs (default 10; 5 at N >= 1000)")
    p.add_argument("--warmup", type=int, help="hyperfine warmup runs (default 2; 1 at N >= 1000)")
    p.add_argument("--workdir", type=Path,
                   help="where workspaces live (n<N>/); existing ones are reused (default: a temp dir)")
    p.add_argument("--keep", dest="keep_workspaces", action="store_true",
                   help="keep the workspaces (always kept when --workdir is given)")
    p.add_argument("--release-tool", default=str(REPO / "target/release/release-tool"))
    p.add_argument("--uv", default=None,
                   help="uv binary for lock/sync (default: the pinned .cache/uv-0.13.9, else PATH)")
    p.add_argument("--uv-sizes", default=None,
                   help="sizes at which lock/sync run (default: all sizes)")
    p.add_argument("--instructions", action="store_true",
                   help="also count the release-tool process's instructions with callgrind")
    p.add_argument("--out", type=Path, default=REPO / "target/bench/results.json",
                   help="JSON results file (default target/bench/results.json)")
    args = p.parse_args()

    sizes = [int(s) for s in args.sizes.split(",") if s]
    args.only = [c for c in args.only.split(",") if c]
    for c in args.only:
        if c not in CASES:
            sys.exit(f"unknown case {c!r}; known: {', '.join(CASES)}")
    args.uv_sizes = [int(s) for s in args.uv_sizes.split(",")] if args.uv_sizes else sizes
    rt = Path(args.release_tool)
    if not os.access(rt, os.X_OK):
        sys.exit(f"release-tool binary not found at {rt} (run `cargo build --release` or pass --release-tool)")
    args.release_tool = str(rt.resolve())
    if args.uv is None:
        pinned = REPO / ".cache/uv-0.13.9/bin/uv"
        args.uv = str(pinned) if pinned.is_file() else shutil.which("uv")
    if not shutil.which("hyperfine"):
        sys.exit("hyperfine is required")

    if args.workdir:
        base = args.workdir.resolve()
        base.mkdir(parents=True, exist_ok=True)
        args.keep_workspaces = True
        remove_base = False
    else:
        base = Path(tempfile.mkdtemp(prefix="release-tool-bench."))
        remove_base = not args.keep_workspaces
    env = hermetic_env({"UV_CACHE_DIR": str(base / "uv-cache"), "UV_NO_PROGRESS": "1"})
    rt_version = subprocess.run([args.release_tool, "--version"], capture_output=True,
                                text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    log(f"== release-tool {rt_version} ({args.release_tool}), repo at {commit}; load {loadavg()}")
    rows: list[dict] = []
    try:
        for n in sizes:
            rows.extend(bench_size(n, base, args, env))
            print(f"\n### N = {n}\n\n{table([r for r in rows if r['n'] == n])}\n", flush=True)
    finally:
        if remove_base:
            shutil.rmtree(base, ignore_errors=True)
        elif rows:
            log(f"workspaces kept in {base}")
    report = {
        "started": started,
        "machine": machine(),
        "release_tool": {"path": args.release_tool, "version": rt_version, "repo_commit": commit},
        "uv": subprocess.run([args.uv, "--version"], capture_output=True, text=True).stdout.strip()
        if args.uv else None,
        "sizes": sizes,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
