//! Crash safety of `release --push` (issue 8): the process is killed (`SIGKILL`, through the
//! test-only hook of `executor::crash_hook`) at every step of a three-package release, in both
//! windows a crash can hit: after a step took effect but before the journal recorded it, and
//! after the journal recorded it. Running the same command again must finish the release with
//! exactly the state of an uninterrupted run: the same commits (same hashes: dates are fixed),
//! tags, remote refs, pins and locks, root commit, and forge releases; nothing twice.
//!
//! The world is `support::trunk` (`a` <- `b` <- `c`, bare `file://` remotes, the root's
//! submodule URLs relative) with a fake GitHub (a token is set, so forge releases are steps of
//! the plan). It is built once and copied for every run; a copy is a world of its own once its
//! git configs name its own remotes. Each step index N (1 ..= the number of steps in the
//! reference run's journal) gets its own copy and three runs:
//!
//! 1. `RELEASE_TOOL_FAIL_AFTER_EFFECT=N`: killed once step N took effect, unrecorded;
//! 2. `RELEASE_TOOL_FAIL_AFTER_STEP=N`: the resumed run probes step N (the probe must find the
//!    effect: no second commit, tag, push or release), records it, and is killed right after:
//!    the journal now says exactly what a fresh run killed after recording step N would say;
//! 3. no hook: the same command finishes the release from there.
//!
//! The copies run on a few threads at once. A second matrix does the same for push later
//! (issue 17, item 8): the world released without `--push` first, then the later
//! `release --push` killed at each of its steps. A third adds the image (issue 20):
//! `release --push --image` with a fake `buildah`, killed at every step, the image's build and
//! pushes included.

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::support::fake_github::FakeForge;
use crate::support::trunk::{self, Layout, NAMES};
use crate::support::{TestEnv, git, outputs};

/// 2026-01-01T00:00:00Z, for a stable CHANGELOG date.
const EPOCH: &str = "1767225600";
const RELEASE: [&str; 4] = ["release", "--bump", "minor", "--push"];
const AFTER_STEP: &str = "RELEASE_TOOL_FAIL_AFTER_STEP";
const AFTER_EFFECT: &str = "RELEASE_TOOL_FAIL_AFTER_EFFECT";
/// Copies worked on at once (each runs git, uv and the fake forge; most of the time is waiting).
const WORKERS: usize = 4;

/// Build the world once under `<tmp>/template`, with relative submodule URLs (`../a.git`): the
/// committed tree then names no absolute path. Returns the template's base directory.
pub fn template(env: &TestEnv) -> PathBuf {
    template_layout(env, Layout::Submodules)
}

/// [`template`] in a [`Layout`]: in-tree packages have no submodule URL to make relative.
pub fn template_layout(env: &TestEnv, layout: Layout) -> PathBuf {
    let base = env.path().join("template");
    let root = trunk::build_layout(env, &base, layout);
    for name in NAMES.iter().filter(|n| !layout.in_tree(n)) {
        git(
            &root,
            &[
                "config",
                "-f",
                ".gitmodules",
                &format!("submodule.packages/{name}.url"),
                &format!("../{name}.git"),
            ],
        );
    }
    if layout != Layout::InTree {
        git(&root, &["submodule", "sync", "--quiet"]);
        git(
            &root,
            &["commit", "-q", "-am", "chore: relative submodule URLs"],
        );
    }
    crate::support::explicit_forge(&root);
    git(&root, &["push", "-q", "origin", "main"]);
    // b's tag message, written for this release: the release consumes it (archives it under
    // `.release_tool/released/`, removes it), two steps of the plan the matrix crashes in too.
    let message = root.join("release_tool/changes/b/tag_message.md");
    std::fs::create_dir_all(message.parent().unwrap()).unwrap();
    std::fs::write(&message, TAG_MESSAGE_B).unwrap();
    base
}

/// The tag message of `b` in the world (see [`template`]).
const TAG_MESSAGE_B: &str = "b {VERSION}: the written notes\n\n- b learns a feature.\n";

/// Copy the world at `from` to `to` (files with their modes, symlinks as links), then point the
/// copy's git configs (the root's, its submodules') at the copy's own remotes.
pub fn copy_world(from: &Path, to: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                copy(&src, &dst);
            } else if kind.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
            } else {
                std::fs::copy(&src, &dst).unwrap();
            }
        }
    }
    fn configs(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                configs(&path, out);
            } else if entry.file_name() == "config" {
                out.push(path);
            }
        }
    }
    copy(from, to);
    let mut found = Vec::new();
    configs(&to.join("product/.git"), &mut found);
    let (old, new) = (from.display().to_string(), to.display().to_string());
    for config in found {
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, text.replace(&old, &new)).unwrap();
    }
    to.to_path_buf()
}

/// A world with the fake engine (`<base>/fakebin/buildah`, see [`fake_engine`]) releases with
/// `--image`: the engine first on `PATH`, its log and the root's remote named by the
/// environment (a copy of the world logs into its own `engine.log`).
fn with_image(cmd: &mut std::process::Command, base: &Path) {
    let bin = base.join("fakebin");
    if !bin.is_dir() {
        return;
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    cmd.arg("--image")
        .env("PATH", path)
        .env("FAKE_ENGINE_LOG", base.join("engine.log"))
        .env("FAKE_ROOT_REMOTE", base.join("remotes/root.git"));
}

/// The fake `buildah` of the image matrix under `<base>/fakebin`: it appends its arguments and
/// the commit the root's remote has on `main` when it runs to `$FAKE_ENGINE_LOG`.
fn fake_engine(base: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = base.join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join("buildah");
    std::fs::write(
        &path,
        // A push with `--digestfile FILE` writes the digest of what it pushed there (the
        // sha256 of the reference), as buildah does.
        "#!/bin/sh\n{ printf '%s\\n' \"$*\"; printf 'remote: %s\\n' \"$(git --git-dir=\"$FAKE_ROOT_REMOTE\" rev-parse main)\"; } >> \"$FAKE_ENGINE_LOG\"\n\
         prev=; file=\nfor a in \"$@\"; do [ \"$prev\" = --digestfile ] && file=$a; prev=$a; done\n\
         if [ -n \"$file\" ]; then printf 'sha256:%s' \"$(printf %s \"$prev\" | sha256sum | cut -c1-64)\" > \"$file\"; fi\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `release --bump minor --push` in the world at `base`, against `forge`, with `hook` set.
fn release(env: &TestEnv, base: &Path, forge: &FakeForge, hook: &[(&str, usize)]) -> Output {
    let mut cmd = env.cmd_uv(&base.join("product"));
    cmd.env("SOURCE_DATE_EPOCH", EPOCH)
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(RELEASE);
    with_image(&mut cmd, base);
    for (var, n) in hook {
        cmd.env(var, n.to_string());
    }
    cmd.output().expect("run release-tool")
}

/// Ok when the run was killed by the hook at step `n`.
fn killed(out: &Output, var: &str, n: usize) -> Result<(), String> {
    let (_, stderr) = outputs(out);
    if out.status.signal() != Some(9) {
        return Err(format!(
            "{var}={n}: expected SIGKILL, got {:?}:\n{stderr}",
            out.status
        ));
    }
    if !stderr.contains(&format!("{var}={n}: killing the process after step {n} ")) {
        return Err(format!("{var}={n}: killed elsewhere:\n{stderr}"));
    }
    Ok(())
}

fn git_lines(repo: &Path, args: &[&str]) -> Vec<String> {
    git(repo, args).lines().map(str::to_owned).collect()
}

/// The end state of a world, normalised (its own path replaced by `[BASE]`): per package and
/// remote every ref with its object (commits and tag objects have fixed dates, so equal hashes
/// mean equal commits, tags and tag messages) and the number of commits; the packages' status
/// and stashes; the root's commit count, last message, submodule pointers, manifests and locks
/// as committed, its remote's commit count and head; the journal finished and the lock gone; the
/// forge's releases.
pub fn state(base: &Path, forge: &FakeForge) -> Vec<String> {
    let norm = |s: String| s.replace(&base.display().to_string(), "[BASE]");
    let root = base.join("product");
    let mut out = Vec::new();
    for name in NAMES {
        let pkg = root.join("packages").join(name);
        if !pkg.join(".git").exists() {
            // In-tree: its refs are the root's (below).
            continue;
        }
        let remote = base.join("remotes").join(format!("{name}.git"));
        for (label, repo) in [("package", &pkg), ("remote", &remote)] {
            out.push(format!("== {label} {name}"));
            out.extend(git_lines(
                repo,
                &[
                    "for-each-ref",
                    "--format=%(refname) %(objecttype) %(objectname) %(*objectname) %(subject)",
                ],
            ));
            out.push(format!(
                "commits: {}",
                git(repo, &["rev-list", "--all", "--count"]).trim()
            ));
        }
        out.push(format!(
            "status: {:?}",
            git(&pkg, &["status", "--porcelain"])
        ));
        out.push(format!("stashes: {:?}", git(&pkg, &["stash", "list"])));
    }
    // b's tag message consumed exactly once: archived with its text, gone from the changes.
    let b_tag = if root.join("packages/b/.git").exists() {
        "v0.1.0"
    } else {
        "b-v0.1.0"
    };
    out.push(format!(
        "b's message left: {}, archived: {:?}",
        root.join("release_tool/changes/b/tag_message.md").exists(),
        std::fs::read_to_string(root.join(format!(".release_tool/released/b/{b_tag}.md"))).ok()
    ));
    out.push("== root".to_owned());
    // The root's refs by name and subject, and each tag's distance to HEAD (its commits'
    // hashes name the copy's path: in-tree pins are `file://<base>/remotes/root.git`).
    out.extend(git_lines(
        &root,
        &[
            "for-each-ref",
            "--format=%(refname) %(objecttype) %(subject)",
        ],
    ));
    for tag in git_lines(&root, &["tag", "--list"]) {
        out.push(format!(
            "{tag}: {} commits below HEAD",
            git(&root, &["rev-list", "--count", &format!("{tag}..HEAD")]).trim()
        ));
    }
    out.push(format!(
        "commits: {}",
        git(&root, &["rev-list", "--count", "HEAD"]).trim()
    ));
    out.push(norm(git(&root, &["log", "-1", "--format=%B", "HEAD"])));
    out.extend(git_lines(&root, &["ls-tree", "HEAD", "packages/"]));
    for file in [
        "staging/pyproject.toml",
        "staging/uv.lock",
        "prod/pyproject.toml",
        "prod/uv.lock",
    ] {
        out.push(format!("-- {file}"));
        // A lock a release without `--push` could not make is absent (push later).
        let mut cmd = std::process::Command::new("git");
        crate::support::hermetic(&mut cmd);
        let shown = cmd
            .current_dir(&root)
            .args(["show", &format!("HEAD:{file}")])
            .output()
            .unwrap();
        out.push(if shown.status.success() {
            norm(String::from_utf8_lossy(&shown.stdout).into_owned())
        } else {
            "(not committed)".to_owned()
        });
    }
    out.push(format!(
        "status: {:?}",
        git(&root, &["status", "--porcelain"])
    ));
    let root_remote = base.join("remotes/root.git");
    out.push(format!(
        "remote commits: {}",
        git(&root_remote, &["rev-list", "--count", "main"]).trim()
    ));
    out.push(format!(
        "remote main is HEAD: {}",
        git(&root_remote, &["rev-parse", "main"]) == git(&root, &["rev-parse", "HEAD"])
    ));
    // The product (issue 20): its tag on the root's release commit, here and on the remote
    // (the notes link the forge, whose address differs per copy: compared by subject and by
    // pointing at HEAD), its version and combined notes as committed, one product release.
    let forge_url = forge.api_url();
    for (label, repo, head) in [
        ("root", &root, "HEAD"),
        ("root remote", &root_remote, "main"),
    ] {
        out.push(format!(
            "{label} tags: {}",
            git(
                repo,
                &[
                    "for-each-ref",
                    "--format=%(refname) %(objecttype) %(subject)",
                    "refs/tags"
                ]
            )
        ));
        let tips = git(
            repo,
            &["for-each-ref", "--format=%(*objectname)", "refs/tags"],
        );
        let head = git(repo, &["rev-parse", head]);
        out.push(format!(
            "{label} tags on {head_name}: {}",
            tips.lines().all(|t| t == head.trim()),
            head_name = if label == "root" { "HEAD" } else { "main" }
        ));
    }
    for file in ["pyproject.toml", "CHANGELOG.md"] {
        out.push(format!("-- {file}"));
        out.push(git(&root, &["show", &format!("HEAD:{file}")]).replace(&forge_url, "[FORGE]"));
    }
    for r in forge.releases("remotes/root") {
        out.push(
            format!(
                "product release: {} {} prerelease={} draft={} {:?}",
                r["tag_name"], r["name"], r["prerelease"], r["draft"], r["body"]
            )
            .replace(&forge_url, "[FORGE]"),
        );
        // Its assets (the prod lock; with the image, the pushed digest), each once.
        if let Some(tag) = r["tag_name"].as_str() {
            for a in forge.assets("remotes/root", tag) {
                // The prod lock names the remotes by path (each world has its own): compared
                // with the lock the tag holds rather than with the reference's bytes.
                if a["name"] == "uv.lock" {
                    use sha2::Digest;
                    let at_tag = git(&root, &["show", &format!("{tag}:prod/uv.lock")]);
                    let sha = sha2::Sha256::digest(at_tag.as_bytes()).iter().fold(
                        String::new(),
                        |mut hex, b| {
                            use std::fmt::Write;
                            let _ = write!(hex, "{b:02x}");
                            hex
                        },
                    );
                    out.push(format!(
                        "product asset: \"uv.lock\" is prod/uv.lock at {tag}: {}",
                        a["sha256"] == sha.as_str()
                    ));
                    continue;
                }
                out.push(format!(
                    "product asset: {} {} {}",
                    a["name"], a["size"], a["sha256"]
                ));
            }
        }
    }
    let journal: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".release_tool/journal.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    out.push(format!("journal finished: {}", journal["finished"]));
    out.push(format!(
        "lock left: {}",
        root.join(".release_tool/lock").exists()
    ));
    // The image (issue 20): each engine call (a build or a push, with the root's release
    // commit; a call repeated on resume counts once), and that the root's remote already had
    // that commit when it ran.
    if let Ok(log) = std::fs::read_to_string(base.join("engine.log")) {
        let head = git(&root, &["rev-parse", "HEAD"]).trim().to_owned();
        let calls: std::collections::BTreeSet<String> = log
            .lines()
            .map(|l| norm(l.replace(&head, "[HEAD]")))
            .collect();
        out.extend(calls.into_iter().map(|c| format!("engine: {c}")));
    }
    for name in NAMES {
        for r in forge.releases(&format!("remotes/{name}")) {
            out.push(format!(
                "release {name}: {} {} prerelease={} draft={} {:?}",
                r["tag_name"], r["name"], r["prerelease"], r["draft"], r["body"]
            ));
        }
    }
    out
}

/// The lines of `a` missing from `b` and the other way round, for a readable failure.
fn difference(want: &[String], got: &[String]) -> String {
    let missing: Vec<&String> = want.iter().filter(|l| !got.contains(l)).collect();
    let extra: Vec<&String> = got.iter().filter(|l| !want.contains(l)).collect();
    // The same lines in another order or number: the first place they part.
    let parted = want.iter().zip(got).position(|(w, g)| w != g).map_or_else(
        || format!("\nlines: want {}, got {}", want.len(), got.len()),
        |i| {
            format!(
                "\nfirst difference at line {i}: want {:?}, got {:?}",
                want[i], got[i]
            )
        },
    );
    format!("missing: {missing:#?}\nunexpected: {extra:#?}{parted}")
}

/// One step index: kill in the effect window, then in the recorded window, then finish; the end
/// state must be the reference's.
fn crash_and_resume(
    env: &TestEnv,
    template: &Path,
    n: usize,
    reference: &[String],
) -> Result<(), String> {
    let base = copy_world(template, &env.path().join(format!("crash-{n}")));
    let forge = FakeForge::github().start();
    killed(
        &release(env, &base, &forge, &[(AFTER_EFFECT, n)]),
        AFTER_EFFECT,
        n,
    )?;
    if !base.join("product/.release_tool/lock").exists() {
        return Err("the killed run left no lock behind".to_owned());
    }
    // The lock of the killed run is taken over; step N is found done, recorded, and the
    // process killed again.
    killed(
        &release(env, &base, &forge, &[(AFTER_STEP, n)]),
        AFTER_STEP,
        n,
    )?;
    let out = release(env, &base, &forge, &[]);
    let (_, stderr) = outputs(&out);
    if !out.status.success() {
        return Err(format!(
            "the resumed run failed ({:?}):\n{stderr}",
            out.status
        ));
    }
    if !stderr.contains("Resuming `release-tool release --bump minor --push") {
        return Err(format!("the last run did not resume:\n{stderr}"));
    }
    let got = state(&base, &forge);
    if got != reference
        && let Ok(dir) = std::env::var("FAULT_MATRIX_DUMP")
    {
        // Both states whole, to compare by hand.
        let _ = std::fs::write(format!("{dir}/want-{n}.txt"), reference.join("\n"));
        let _ = std::fs::write(format!("{dir}/got-{n}.txt"), got.join("\n"));
    }
    if got != reference {
        return Err(format!(
            "the end state differs from an uninterrupted run:\n{}",
            difference(reference, &got)
        ));
    }
    let _ = std::fs::remove_dir_all(&base);
    Ok(())
}

#[test]
fn killed_at_every_step_in_both_windows_the_same_command_finishes_the_release_exactly_once() {
    let env = TestEnv::new();
    let template = template(&env);
    let total = matrix(&env, &template, 2);
    assert!(total > 30, "{total} steps");
}

/// The basic matrix for the root's in-tree packages (issue #21): their one release commit,
/// tags, next commit, the root's one push with the tags and their forge releases, killed at
/// every step in both windows, finish exactly as an uninterrupted run.
#[test]
fn in_tree_killed_at_every_step_finishes_the_release_exactly_once() {
    let env = TestEnv::new();
    let template = template_layout(&env, Layout::InTree);
    let total = matrix_layout(&env, &template, 2, Layout::InTree);
    assert!(total > 20, "{total} steps");
}

/// The same for a mixed layout: the in-tree `a` under the submodules `b` and `c`.
#[test]
fn mixed_killed_at_every_step_finishes_the_release_exactly_once() {
    let env = TestEnv::new();
    let template = template_layout(&env, Layout::Mixed);
    let total = matrix_layout(&env, &template, 2, Layout::Mixed);
    assert!(total > 25, "{total} steps");
}

/// Release now, push later (issue 17, item 8): the world released without `--push` first; the
/// later `release --bump minor --push` (pushes of branches and tags, forge releases, the root)
/// is killed at every step of its own and must end where an uninterrupted push-later run ends,
/// which is where a release with `--push` ends.
#[test]
fn push_later_killed_at_every_step_finishes_exactly_once() {
    let env = TestEnv::new();
    let template = template(&env);
    let out = env
        .cmd_uv(&template.join("product"))
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["release", "--bump", "minor"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", outputs(&out).1);
    let total = matrix(&env, &template, 0);
    // Three pushes, three forge releases, the root's push (its branch and the product's
    // tag), the product's forge release; and each package's release assets: `git init`,
    // `git fetch` of the tag, `git checkout`, `uv build`, the upload, the build directory
    // removed (6 × 3).
    assert_eq!(total, 26);
}

/// The image as the last steps (issue 20): the world with `[tool.release_tool.docker]`, its
/// prod lock and its Dockerfile; `release --bump minor --push --image` (the release, then the
/// image's build and its two pushes, with a fake `buildah`) is killed at every step and must
/// end where an uninterrupted run ends: the release as without `--image`, and every build and
/// push of the product's version made, after the root's push.
#[test]
fn release_image_killed_at_every_step_finishes_exactly_once() {
    let env = TestEnv::new();
    let template = template(&env);
    let root = template.join("product");
    let config = root.join("release_tool.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "{text}\n[tool.release_tool.docker]\nengine = \"buildah\"\nimage = \"registry.example.com/acme/product\"\n"
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = env
            .cmd_uv(&root)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", outputs(&out).1);
    };
    // The image installs exactly what prod locks: a prod lock first, as `docker` asks. The
    // built-in Dockerfile labels the root's remote URL, which differs per copy of the world:
    // a Dockerfile template of the workspace without it (the fake engine builds nothing).
    run(&["lock", "prod"]);
    let templates = root.join("release_tool/templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("Dockerfile.j2"),
        "FROM scratch\nLABEL org.opencontainers.image.title={{ labels.title }}\n",
    )
    .unwrap();
    run(&["docker"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: the image"]);
    git(&root, &["push", "-q", "origin", "main"]);
    fake_engine(&template);
    let total = matrix(&env, &template, 2);
    assert!(total > 33, "{total} steps");
}

/// The reference run of `release --bump minor --push` in a copy of `template` (its dry run has
/// `proofs` pre-push proofs), then every step index crashed and resumed in a copy of its own:
/// the end state must be the reference's. Returns the number of steps.
fn matrix(env: &TestEnv, template: &Path, proofs: usize) -> usize {
    matrix_layout(env, template, proofs, Layout::Submodules)
}

/// [`matrix`] of a world in `layout`: the reference's shape is checked for the submodule
/// layout in full, for the others by their tags in the root.
fn matrix_layout(env: &TestEnv, template: &Path, proofs: usize, layout: Layout) -> usize {
    let started = Instant::now();
    let template = template.to_path_buf();

    // The reference: an uninterrupted run in a copy of its own.
    let base = copy_world(&template, &env.path().join("reference"));
    let forge = FakeForge::github().start();
    let mut dry = env.cmd_uv(&base.join("product"));
    dry.env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(RELEASE);
    with_image(&mut dry, &base);
    let dry = dry.args(["--dry-run", "--json"]).output().unwrap();
    assert!(dry.status.success(), "{}", outputs(&dry).1);
    let steps: Vec<serde_json::Value> =
        serde_json::from_value(crate::support::json_doc(&dry.stdout)["steps"].clone()).unwrap();
    // The pre-push proofs (staging and prod) are steps like any other: killed around them too.
    assert_eq!(
        steps.iter().filter(|s| s["action"] == "prove").count(),
        proofs,
        "{steps:#?}"
    );
    let out = release(env, &base, &forge, &[]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let journal: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(base.join("product/.release_tool/journal.json")).unwrap(),
    )
    .unwrap();
    let total = journal["steps"].as_array().unwrap().len();
    assert_eq!(total, steps.len(), "the run executes the dry run's steps");
    assert!(
        journal["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "done"),
        "every step ran, none skipped (forge steps included): {journal:#}"
    );
    let reference = state(&base, &forge);
    if base.join("fakebin").is_dir() {
        // The image: built once with the product's version and latest, both pushed, all after
        // the root's push.
        let engine: Vec<&String> = reference
            .iter()
            .filter(|l| l.starts_with("engine: "))
            .collect();
        assert_eq!(engine.len(), 4, "{engine:#?}");
        assert!(
            engine.iter().any(|l| l.starts_with("engine: bud ")
                && l.contains(":0.2.0 -t ")
                && l.contains("REVISION=[HEAD]")),
            "{engine:#?}"
        );
        assert!(
            engine.contains(&&"engine: remote: [HEAD]".to_owned()),
            "{engine:#?}"
        );
        // The product's release carries the pushed image's digest (issue 22).
        assert!(
            reference
                .iter()
                .any(|l| l.starts_with("product asset: \"image-digest.txt\" ")),
            "{reference:#?}"
        );
    }
    // What the reference is: one release commit, tag and next commit per package, one root
    // commit, one forge release each.
    if layout != Layout::Submodules {
        let root_remote = base.join("remotes/root.git");
        for name in NAMES {
            let tag = if layout.in_tree(name) {
                format!("{name}-v0.1.0")
            } else {
                "v0.1.0".to_owned()
            };
            let repo = if layout.in_tree(name) {
                root_remote.clone()
            } else {
                base.join("remotes").join(format!("{name}.git"))
            };
            assert_eq!(
                git(&repo, &["tag", "--list", &tag]).trim(),
                tag,
                "{name}: {reference:#?}"
            );
        }
        let in_tree = NAMES.iter().filter(|n| layout.in_tree(n)).count();
        // Each in-tree package's forge release on the root's repository, and the product's.
        assert_eq!(
            forge.releases("remotes/root").len(),
            in_tree + 1,
            "{reference:#?}"
        );
    }
    for name in NAMES
        .iter()
        .filter(|n| layout == Layout::Submodules || !layout.in_tree(n))
    {
        let remote = base.join("remotes").join(format!("{name}.git"));
        let subjects = git(&remote, &["log", "--format=%s", "main"]);
        let release = if *name == "b" {
            "b 0.1.0: the written notes".to_owned()
        } else {
            format!("Release {name} 0.1.0")
        };
        assert!(
            subjects.starts_with(&format!(
                "chore: start 0.1.1.dev0 development\n{release}\nfeat: {name}"
            )),
            "{subjects}"
        );
        assert_eq!(git(&remote, &["tag", "--list"]), "v0.1.0\n");
        assert_eq!(forge.releases(&format!("remotes/{name}")).len(), 1);
    }
    assert!(
        reference.contains(&format!(
            "b's message left: false, archived: {:?}",
            Some(TAG_MESSAGE_B)
        )),
        "{reference:#?}"
    );
    let (b_repo, b_tag) = if layout.in_tree("b") {
        (base.join("remotes/root.git"), "b-v0.1.0")
    } else {
        (base.join("remotes/b.git"), "v0.1.0")
    };
    assert!(
        git(&b_repo, &["tag", "--list", "--format=%(contents)", b_tag])
            .starts_with("b 0.1.0: the written notes"),
        "b's release used its message"
    );
    assert!(
        reference
            .iter()
            .any(|l| l.starts_with("release: a 0.1.0, b 0.1.0, c 0.1.0")),
        "{reference:#?}"
    );
    // The product: 0.1.0 → 0.2.0 (every package went minor), tagged here and on the remote,
    // one product release whose body links each package's release.
    assert!(
        reference.iter().any(|l| l.starts_with("root remote tags: ")
            && l.contains("refs/tags/v0.2.0 tag ")
            && l.ends_with(" Release product 0.2.0\n")),
        "{reference:#?}"
    );
    let product: Vec<&String> = reference
        .iter()
        .filter(|l| l.starts_with("product release: \"v0.2.0\""))
        .collect();
    assert_eq!(product.len(), 1, "{reference:#?}");
    assert!(
        product[0].contains("\"v0.2.0\" \"product 0.2.0\" prerelease=false")
            && (layout != Layout::Submodules
                || product[0].contains("/remotes/c/releases/tag/v0.1.0)")),
        "{product:#?}"
    );
    let _ = std::fs::remove_dir_all(&base);

    let next = AtomicUsize::new(1);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n > total {
                        break;
                    }
                    // `FAULT_MATRIX_ONLY=52,53`: only those steps (to look at a failure again).
                    if let Ok(only) = std::env::var("FAULT_MATRIX_ONLY")
                        && !only.split(',').any(|k| k.trim() == n.to_string())
                    {
                        continue;
                    }
                    if let Err(e) = crash_and_resume(env, &template, n, &reference) {
                        let step = &steps[n - 1];
                        failures.lock().unwrap().push(format!(
                            "step {n} ({}: {}): {e}",
                            step["package"].as_str().unwrap_or("root"),
                            step["detail"].as_str().unwrap_or_default()
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {total} step(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!(
        "fault matrix: {total} steps, killed in both windows, finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    total
}
