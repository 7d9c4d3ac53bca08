//! The image as the release's last step (issue 20, item 3): `release --push --image` (or
//! `on_release = true` in `[tool.release_tool.docker]`) builds the production image tagged with
//! the product's version and pushes it, after every tag and pin is pushed, as plan steps: shown
//! by `--dry-run`, journaled and resumed like the others.
//!
//! The engine is a fake `buildah` on `PATH` that records its arguments and what the root's
//! remote holds when it runs (real builds are `docker.rs`'s job).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::fake_github::FakeForge;
use crate::support::trunk::World;
use crate::support::{commit_file, git, outputs};

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

const IMAGE: &str = "registry.example.com/acme/product";

/// A world released once (its prod lock made), with `[tool.release_tool.docker]` (`extra`
/// keys too), the Dockerfile written by `docker` when `dockerfile`, and a `feat:` in `a`: the
/// next release has something to release.
fn world(extra: &str, dockerfile: bool) -> World {
    let w = World::new();
    ok(&w.release(&["--bump", "minor", "--push"]));
    let path = w.root.join("release_tool.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{text}\n[tool.release_tool.docker]\nengine = \"buildah\"\nimage = \"{IMAGE}\"\n{extra}"
        ),
    )
    .unwrap();
    if dockerfile {
        ok(&w.run(&["docker"]));
    }
    git(&w.root, &["add", "-A"]);
    git(&w.root, &["commit", "-q", "-m", "chore: the image"]);
    commit_file(&w.pkg("a"), "src/a/more.py", "MORE = 1\n", "feat: a grows");
    git(&w.pkg("a"), &["push", "-q", "origin", "main"]);
    git(&w.root, &["add", "-A"]);
    git(&w.root, &["commit", "-q", "-m", "chore: a grows"]);
    w
}

/// The fake engine: `<tmp>/fakebin/buildah`, appending to `<tmp>/engine.log` its arguments and
/// the commit the root's remote has on `main` when it runs.
fn fake_engine(w: &World) -> (PathBuf, PathBuf) {
    let bin = w.env.path().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = w.env.path().join("engine.log");
    // A push with `--digestfile FILE` writes there the digest of what it pushed, as buildah
    // does (here: the sha256 of the pushed reference).
    let script = format!(
        "#!/bin/sh\n{{ printf '%s\\n' \"$*\"; printf 'remote: %s\\n' \"$(git --git-dir={} rev-parse main)\"; }} >> {}\n\
         prev=; file=\nfor a in \"$@\"; do [ \"$prev\" = --digestfile ] && file=$a; prev=$a; done\n\
         if [ -n \"$file\" ]; then printf 'sha256:%s' \"$(printf %s \"$prev\" | sha256sum | cut -c1-64)\" > \"$file\"; fi\n",
        w.remote("root").display(),
        log.display()
    );
    let path = bin.join("buildah");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

/// `release-tool release ARGS` with the fake engine first on `PATH` and `env` set.
fn release_with_engine(w: &World, bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = w.cmd();
    cmd.arg("release").args(args).env("PATH", path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn engine_log(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn release_image_builds_and_pushes_the_product_version_last() {
    let w = world("", true);
    let (bin, log) = fake_engine(&w);
    let (stdout, stderr) = ok(&release_with_engine(
        &w,
        &bin,
        &["--bump", "minor", "--push", "--image"],
        &[],
    ));
    let head = git(&w.root, &["rev-parse", "HEAD"]).trim().to_owned();
    assert!(
        git(&w.root, &["log", "-1", "--format=%s"]).starts_with("release: a 0.2.0"),
        "{stdout}{stderr}"
    );
    let lines = engine_log(&log);
    assert_eq!(lines.len(), 6, "{lines:?}\n{stderr}");
    // The build: the product's version and latest, labels from the root's release commit, run
    // after the root's push (its remote already has that commit).
    assert!(
        lines[0].starts_with(&format!(
            "bud --layers --force-rm -f docker/Dockerfile -t {IMAGE}:0.3.0 -t {IMAGE}:latest \
             --build-arg VERSION=0.3.0 --build-arg REVISION={head} --build-arg CREATED=2026-01-01T00:00:00Z"
        )),
        "{lines:?}"
    );
    assert_eq!(lines[1], format!("remote: {head}"));
    assert_eq!(
        lines[2],
        format!("push {IMAGE}:0.3.0 docker://{IMAGE}:0.3.0")
    );
    assert_eq!(
        lines[4],
        format!("push {IMAGE}:latest docker://{IMAGE}:latest")
    );
    assert!(
        stderr.contains(&format!(
            "note: the image is built with buildah and pushed last, after every tag and pin: {IMAGE}:0.3.0, {IMAGE}:latest"
        )),
        "{stderr}"
    );
    // Every package's tag was on its remote before the build.
    assert_eq!(git(&w.remote("a"), &["tag", "--list"]), "v0.1.0\nv0.2.0\n");
    // The journal names the run with --image.
    assert_eq!(w.journal().unwrap()["request"]["image"], true);
}

#[test]
fn the_dry_run_shows_the_image_steps_last_and_changes_nothing() {
    let w = world("", true);
    let (bin, log) = fake_engine(&w);
    let before = w.state();
    let (stdout, stderr) = ok(&release_with_engine(
        &w,
        &bin,
        &["--bump", "minor", "--push", "--image", "--dry-run"],
        &[],
    ));
    assert_eq!(w.state(), before);
    assert!(engine_log(&log).is_empty());
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("    ")).collect();
    let n = lines.len();
    assert!(n > 3, "{stdout}{stderr}");
    assert!(
        lines[n - 3].starts_with(&format!(
            "root: buildah bud --layers --force-rm -f docker/Dockerfile -t {IMAGE}:0.3.0 -t {IMAGE}:latest \
             --build-arg VERSION=0.3.0 --build-arg REVISION={{root_head}} --build-arg CREATED=2026-01-01T00:00:00Z"
        )),
        "{stdout}"
    );
    assert_eq!(
        lines[n - 2],
        format!("root: buildah push {IMAGE}:0.3.0 docker://{IMAGE}:0.3.0")
    );
    // After the root's push.
    let push = lines
        .iter()
        .rposition(|l| l.starts_with("root: git -C . push "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(push, n - 4, "{stdout}");
}

/// `on_release = true` does what `--image` does; a run killed right after the build was
/// recorded resumes with the pushes, not a second build.
#[test]
fn on_release_builds_with_the_push_and_a_killed_run_resumes_after_the_build() {
    let w = world("on_release = true\n", true);
    let (bin, log) = fake_engine(&w);
    let out = release_with_engine(
        &w,
        &bin,
        &["--bump", "minor", "--push", "--dry-run", "--json"],
        &[],
    );
    let (stdout, _) = ok(&out);
    let doc = crate::support::json_doc(&stdout);
    let steps = doc["steps"].as_array().unwrap();
    let actions: Vec<&str> = steps
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[actions.len() - 3..], ["engine", "engine", "engine"]);
    let build = (steps.len() - 2).to_string();
    let out = release_with_engine(
        &w,
        &bin,
        &["--bump", "minor", "--push"],
        &[("RELEASE_TOOL_FAIL_AFTER_STEP", build.as_str())],
    );
    assert!(!out.status.success(), "{}", outputs(&out).1);
    let lines = engine_log(&log);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("bud "), "{lines:?}");
    let (_, stderr) = ok(&release_with_engine(
        &w,
        &bin,
        &["--bump", "minor", "--push"],
        &[],
    ));
    let lines = engine_log(&log);
    let builds = lines.iter().filter(|l| l.starts_with("bud ")).count();
    let pushes = lines.iter().filter(|l| l.starts_with("push ")).count();
    assert_eq!((builds, pushes), (1, 2), "{lines:?}\n{stderr}");
    assert_eq!(w.journal().unwrap()["finished"], true);
}

/// Killed after the build took effect but before the journal recorded it: the resumed run
/// builds again (the engine's cache makes it cheap) and pushes once.
#[test]
fn a_run_killed_inside_the_build_step_builds_again_and_pushes_once() {
    let w = world("", true);
    let (bin, log) = fake_engine(&w);
    let args = ["--bump", "minor", "--push", "--image"];
    let mut dry = args.to_vec();
    dry.extend(["--dry-run", "--json"]);
    let (stdout, _) = ok(&release_with_engine(&w, &bin, &dry, &[]));
    let steps = crate::support::json_doc(&stdout)["steps"].clone();
    let build = (steps.as_array().unwrap().len() - 2).to_string();
    let out = release_with_engine(
        &w,
        &bin,
        &args,
        &[("RELEASE_TOOL_FAIL_AFTER_EFFECT", build.as_str())],
    );
    assert!(!out.status.success(), "{}", outputs(&out).1);
    ok(&release_with_engine(&w, &bin, &args, &[]));
    let lines = engine_log(&log);
    let builds = lines.iter().filter(|l| l.starts_with("bud ")).count();
    let pushes = lines.iter().filter(|l| l.starts_with("push ")).count();
    assert_eq!((builds, pushes), (2, 2), "{lines:?}");
    assert_eq!(w.journal().unwrap()["finished"], true);
}

#[test]
fn a_stale_dockerfile_or_no_push_refuses_the_image_and_changes_nothing() {
    let w = world("", false);
    let (bin, log) = fake_engine(&w);
    let before = w.state();
    let out = release_with_engine(&w, &bin, &["--bump", "minor", "--push", "--image"], &[]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "error: The release cannot build the image: docker/Dockerfile does not exist (generated from prod/pyproject.toml and [tool.release_tool.docker]); nothing was changed\n\
             hint: run `release-tool docker` and commit the result, then run the same command again (or release without --image)"
        ),
        "{stderr}"
    );
    assert_eq!(w.state(), before);
    // --image needs --push.
    let out = release_with_engine(&w, &bin, &["--bump", "minor", "--image"], &[]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--push"), "{stderr}");
    assert_eq!(w.state(), before);
    assert!(engine_log(&log).is_empty());
}

/// `--no-image` wins over `on_release = true` (the generated `release.yml` passes it, its own
/// steps build the image): no engine step is planned or run; with `--image` it is refused.
#[test]
fn no_image_keeps_on_release_from_building_the_image() {
    let w = world("on_release = true\n", true);
    let (bin, log) = fake_engine(&w);
    let args = ["--bump", "minor", "--push", "--no-image"];
    let mut dry = args.to_vec();
    dry.extend(["--dry-run", "--json"]);
    let (stdout, _) = ok(&release_with_engine(&w, &bin, &dry, &[]));
    let doc = crate::support::json_doc(&stdout);
    assert!(
        doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["action"] != "engine"),
        "{stdout}"
    );
    let before = w.state();
    let out = release_with_engine(
        &w,
        &bin,
        &["--bump", "minor", "--push", "--image", "--no-image"],
        &[],
    );
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--no-image"), "{stderr}");
    assert_eq!(w.state(), before);
    let (_, stderr) = ok(&release_with_engine(&w, &bin, &args, &[]));
    assert!(engine_log(&log).is_empty(), "{stderr}");
    assert!(!stderr.contains("the image is built"), "{stderr}");
    assert_eq!(git(&w.remote("a"), &["tag", "--list"]), "v0.1.0\nv0.2.0\n");
    assert_eq!(w.journal().unwrap()["request"]["no_image"], true);
}

/// The product's forge release carries the pushed image's reference with its digest
/// (`image-digest.txt`: `<image>@sha256:…`), uploaded after the image's push; the dry run
/// shows where the push keeps the digest and the upload after it.
#[test]
fn the_product_release_carries_the_pushed_image_digest() {
    let w = world("", true);
    crate::support::explicit_forge(&w.root);
    let (bin, log) = fake_engine(&w);
    let forge = FakeForge::github().start();
    let forge_env = [
        ("GITHUB_TOKEN", forge.opts.token.as_str()),
        ("GITHUB_API_URL", &forge.api_url()),
    ];
    let args = ["--bump", "minor", "--push", "--image"];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let (stdout, stderr) = ok(&release_with_engine(&w, &bin, &dry, &forge_env));
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("    ")).collect();
    let n = lines.len();
    let file = w.root.join(".release_tool/image/image-digest.txt");
    assert_eq!(
        lines[n - 3],
        format!(
            "root: buildah push --digestfile {} {IMAGE}:0.3.0 docker://{IMAGE}:0.3.0, its digest kept in .release_tool/image/image-digest.txt",
            file.display()
        ),
        "{stdout}{stderr}"
    );
    assert_eq!(
        lines[n - 2],
        format!("root: buildah push {IMAGE}:latest docker://{IMAGE}:latest")
    );
    assert!(
        lines[n - 1].starts_with("root: POST /repos/remotes/root/releases/{release_id}/assets"),
        "{stdout}"
    );
    assert!(forge.requests().is_empty());

    let (_, stderr) = ok(&release_with_engine(&w, &bin, &args, &forge_env));
    let tag = forge
        .releases("remotes/root")
        .iter()
        .map(|r| r["tag_name"].as_str().unwrap().to_owned())
        .find(|t| t.contains("0.3.0"))
        .unwrap_or_else(|| panic!("no product release: {stderr}"));
    let reference = format!("docker://{IMAGE}:0.3.0");
    let digest = format!("sha256:{}", sha256_hex(reference.as_bytes()));
    let text = format!("{IMAGE}@{digest}\n");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let assets = forge.assets("remotes/root", &tag);
    let asset = assets
        .iter()
        .find(|a| a["name"] == "image-digest.txt")
        .unwrap_or_else(|| panic!("{assets:#?}\n{stderr}"));
    assert_eq!(asset["size"].as_u64(), Some(text.len() as u64));
    let want = sha256_hex(text.as_bytes());
    assert_eq!(asset["sha256"].as_str(), Some(want.as_str()), "{asset}");
    // After the push: the upload is the run's last request.
    let last = forge.requests().last().unwrap().path.clone();
    assert!(last.contains("name=image-digest.txt"), "{last}");
    assert_eq!(
        engine_log(&log)
            .iter()
            .filter(|l| l.starts_with("push "))
            .count(),
        2
    );
    // Once, after the product's release and its prod lock.
    assert_eq!(
        forge.uploads()[2..],
        ["uv.lock", "image-digest.txt"],
        "{:?}",
        forge.uploads()
    );
    assert!(
        forge.contract_violations().is_empty(),
        "{:?}",
        forge.contract_violations()
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
