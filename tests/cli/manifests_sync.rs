//! `manifests` on a workspace shaped like a real product (issue #16, items 2, 3 and 5): a dev
//! manifest with torch-like CUDA indexes (`explicit = true`), one extra per CUDA build,
//! `conflicts`, `environments`, a non-member source per extra, dev-only groups, and a member
//! listed in another spelling than its project name. Staging and prod get what the product
//! needs to install and nothing dev-only; `check` names drift; prod installs with real uv from
//! local indexes; `release` refuses a root without staging/prod manifests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::trunk::{World, bare, url};
use crate::support::{TestEnv, add_config, git, outputs, snapshot_tree, uv, uv_env, venv_python};

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

/// A flat package index at `dir` holding `torchlike 1.0.0+<variant>` (a local version, as
/// torch's CUDA builds have), whose module says which index it came from (`VARIANT`). The
/// wheel is written by hand: no build backend, no network.
fn flat_index(dir: &Path, variant: &str) {
    let script = r#"
import base64, hashlib, os, sys, zipfile
out, variant = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
version = f"1.0.0+{variant}"
info = f"torchlike-{version}.dist-info"
files = {
    "torchlike/__init__.py": f"VARIANT = {variant!r}\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\nName: torchlike\nVersion: {version}\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
with zipfile.ZipFile(os.path.join(out, f"torchlike-{version}-py3-none-any.whl"), "w") as z:
    for path, text in files.items():
        data = text.encode()
        z.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .arg(variant)
        .output()
        .expect("python3");
    ok(&out);
}

/// The dev manifest of the fixture (`base`: the test's temp dir, where the indexes live).
fn dev_manifest(base: &Path) -> String {
    let base = base.display();
    format!(
        r#"[project]
name = "product"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["model-qwen2-5-vl"]

[project.optional-dependencies]
# One extra per CUDA build of torchlike.
cu124 = ["torchlike==1.0.0"]
cu128 = ["torchlike==1.0.0"]

[dependency-groups]
dev = ["pytest-lite"]

[tool.uv]
# The root ships no code of its own: it only gathers the packages.
package = false
conflicts = [
    [{{ extra = "cu124" }}, {{ extra = "cu128" }}],
    [{{ group = "dev" }}, {{ extra = "cu128" }}],
]
environments = ["sys_platform == 'linux'"]
required-environments = ["sys_platform == 'linux'"]

[tool.uv.workspace]
members = ["packages/*"]

[tool.uv.sources]
core = {{ workspace = true }}
model-qwen2_5-vl = {{ workspace = true }}
torchlike = [
    {{ index = "torch-cu124", extra = "cu124" }},
    {{ index = "torch-cu128", extra = "cu128" }},
]
pytest-lite = {{ path = "tools/pytest-lite" }}

[[tool.uv.index]]
name = "torch-cu124"
url = "file://{base}/indexes/cu124"
format = "flat"
explicit = true

[[tool.uv.index]]
name = "torch-cu128"
url = "file://{base}/indexes/cu128"
format = "flat"
explicit = true
"#
    )
}

/// The fixture: a root with a bare remote, two packages with bare remotes (`core`, and
/// `model-qwen2_5-vl` which depends on it and which the root lists as `model-qwen2-5-vl`),
/// the dev manifest above, and both packages released at 0.1.0 with `--push`.
fn build(env: &TestEnv) -> PathBuf {
    let base = env.path();
    ok(&env.run(&base, ["init", "product", "-q"]));
    let root = base.join("product");
    let remote = |name: &str| base.join("remotes").join(format!("{name}.git"));
    bare(&remote("root"));
    git(&root, &["remote", "add", "origin", &url(&remote("root"))]);
    for (name, dep) in [("core", None), ("model-qwen2_5-vl", Some("core"))] {
        bare(&remote(name));
        let remote_url = url(&remote(name));
        let mut args = vec!["new", name, "--remote", remote_url.as_str(), "-q"];
        if let Some(dep) = dep {
            args.extend(["--dep", dep]);
        }
        ok(&env.run(&root, &args));
    }
    flat_index(&base.join("indexes/cu124"), "cu124");
    flat_index(&base.join("indexes/cu128"), "cu128");
    std::fs::write(root.join("pyproject.toml"), dev_manifest(&base)).unwrap();
    git(&root, &["add", "-A"]);
    git(
        &root,
        &["commit", "-q", "-m", "chore: the product's packages"],
    );
    git(&root, &["push", "-q", "-u", "origin", "main"]);
    ok(&env.run_uv(&root, ["release", "--bump", "minor", "--push", "-q"]));
    root
}

/// What `manifests` makes of a staging (`prod` false) or prod manifest of the fixture.
fn expected_manifest(base: &Path, prod: bool) -> String {
    let header = if prod {
        "# Production manifest: every package pinned to its newest final release tag\n\
         # (or name==version from an index with prod_source = \"index\").\n\
         # Maintained by `release-tool manifests`; the Docker image is built from it.\n"
    } else {
        "# Staging manifest: every package pinned to its newest tag (dev, pre or final),\n\
         # so a clone without submodules installs them from their remotes.\n\
         # Maintained by `release-tool manifests`; edit [project] in the root pyproject.toml.\n"
    };
    let remote = |name: &str| url(&base.join("remotes").join(format!("{name}.git")));
    let b = base.display();
    format!(
        r#"{header}
[project]
name = "product"
version = "0.2.0"
requires-python = ">=3.10"
dependencies = ["core", "model-qwen2-5-vl"]

[project.optional-dependencies]
# One extra per CUDA build of torchlike.
cu124 = ["torchlike==1.0.0"]
cu128 = ["torchlike==1.0.0"]

[tool.uv]
# The root ships no code of its own: it only gathers the packages.
package = false
conflicts = [
    [{{ extra = "cu124" }}, {{ extra = "cu128" }}],
]
environments = ["sys_platform == 'linux'"]
required-environments = ["sys_platform == 'linux'"]

[tool.uv.sources]
core = {{ git = "{core}", tag = "v0.1.0" }}
model-qwen2_5-vl = {{ git = "{model}", tag = "v0.1.0" }}
torchlike = [
    {{ index = "torch-cu124", extra = "cu124" }},
    {{ index = "torch-cu128", extra = "cu128" }},
]

[[tool.uv.index]]
name = "torch-cu124"
url = "file://{b}/indexes/cu124"
format = "flat"
explicit = true

[[tool.uv.index]]
name = "torch-cu128"
url = "file://{b}/indexes/cu128"
format = "flat"
explicit = true
"#,
        core = remote("core"),
        model = remote("model-qwen2_5-vl"),
    )
}

#[test]
fn manifests_carry_what_prod_needs_and_prod_installs_it() {
    let env = TestEnv::new();
    let base = env.path();
    let root = build(&env);
    let (_, stderr) = ok(&env.run(&root, ["manifests"]));
    for (file, prod) in [
        ("staging/pyproject.toml", false),
        ("prod/pyproject.toml", true),
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert_eq!(text, expected_manifest(&base, prod), "{file}\n{stderr}");
    }
    // In step: a second run writes nothing, `check` finds nothing to say.
    let before = snapshot_tree(&root);
    ok(&env.run(&root, ["manifests"]));
    assert_eq!(before, snapshot_tree(&root));
    let (_, stderr) = ok(&env.run(&root, ["check", "--no-locks"]));
    assert!(stderr.contains("All checks passed"), "{stderr}");

    // Prod installs with real uv: the packages from their tags, torchlike from the index of
    // the extra asked for.
    ok(&env.run_uv(&root, ["lock", "prod"]));
    ok(&env.run_uv(&root, ["sync", "prod"]));
    let prod = root.join("prod");
    for (extra, variant) in [("cu124", "cu124"), ("cu128", "cu128")] {
        let out = Command::new(uv())
            .envs(uv_env())
            .current_dir(&prod)
            .args(["sync", "--locked", "--extra", extra])
            .output()
            .unwrap();
        ok(&out);
        let (imported, stdout, stderr) = venv_python(
            &prod.join(".venv"),
            "import torchlike, model_qwen2_5_vl, core; print(torchlike.VARIANT)",
        );
        assert!(imported, "{stderr}");
        assert_eq!(stdout.trim(), variant);
    }
    let lock = std::fs::read_to_string(prod.join("uv.lock")).unwrap();
    assert!(
        !lock.contains("pytest-lite"),
        "dev-only group left out: {lock}"
    );
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: manifests and locks"]);
    // The prod lock is in step with the prod manifest.
    let (stdout, _) = outputs(&env.run_uv(&root, ["check"]));
    assert!(stdout.contains("staging: staging/uv.lock"), "{stdout}");
    assert!(!stdout.contains("prod:"), "{stdout}");

    // The image installs the configured extra, which the prod manifest now has.
    add_config(
        &root,
        "\n[tool.release_tool.docker]\nextras = [\"cu124\"]\n",
    );
    ok(&env.run(&root, ["docker"]));
    let dockerfile = std::fs::read_to_string(root.join("docker/Dockerfile")).unwrap();
    assert!(dockerfile.contains("--extra cu124"), "{dockerfile}");
}

#[test]
fn check_names_the_drift_of_a_hand_edit_and_manifests_undoes_it() {
    let env = TestEnv::new();
    let base = env.path();
    let root = build(&env);
    ok(&env.run(&root, ["manifests"]));
    let prod_path = root.join("prod/pyproject.toml");
    let edited = expected_manifest(&base, true)
        .replacen("explicit = true", "explicit = false", 1)
        .replace("cu128 = [\"torchlike==1.0.0\"]\n", "")
        .replacen("sys_platform == 'linux'", "sys_platform == 'darwin'", 1);
    std::fs::write(&prod_path, &edited).unwrap();
    let before = snapshot_tree(&root);
    let out = env.run(&root, ["check", "--no-locks"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains(
            "prod/pyproject.toml is out of date (run `release-tool manifests`): not in step with \
             the dev manifest: [project.optional-dependencies], [[tool.uv.index]], \
             [tool.uv] environments"
        ),
        "{all}"
    );
    assert!(
        !all.contains("staging/pyproject.toml is out of date"),
        "{all}"
    );
    assert_eq!(before, snapshot_tree(&root), "check changes nothing");

    let (_, stderr) = ok(&env.run(&root, ["manifests"]));
    assert_eq!(
        std::fs::read_to_string(&prod_path).unwrap(),
        expected_manifest(&base, true)
    );
    // The rewritten manifest is left uncommitted: said now, not by the next `release`'s refusal.
    assert!(
        stderr.contains("The root now has uncommitted changes in ")
            && stderr.contains("prod/pyproject.toml; `release-tool release` will not start until they are committed"),
        "{stderr}"
    );
}

/// A name is matched in any spelling and kept as the user wrote it: a staging manifest that
/// lists the member as `Model_Qwen2.5-VL` keeps that spelling.
#[test]
fn names_keep_the_users_spelling() {
    let env = TestEnv::new();
    let base = env.path();
    let root = build(&env);
    ok(&env.run(&root, ["manifests"]));
    let staging_path = root.join("staging/pyproject.toml");
    let respelled = expected_manifest(&base, false).replace(
        "dependencies = [\"core\", \"model-qwen2-5-vl\"]",
        "dependencies = [\"core\", \"Model_Qwen2.5-VL\"]",
    );
    std::fs::write(&staging_path, &respelled).unwrap();
    let before = snapshot_tree(&root);
    ok(&env.run(&root, ["manifests"]));
    assert_eq!(before, snapshot_tree(&root));
    assert_eq!(std::fs::read_to_string(&staging_path).unwrap(), respelled);
}

/// An adopted uv workspace without staging/prod manifests: `release` refuses before its first
/// step, naming the file and the fix, and changes nothing; after `manifests` it pins.
#[test]
fn release_refuses_a_root_without_staging_and_prod_manifests() {
    let w = World::new();
    for dir in ["staging", "prod"] {
        std::fs::remove_dir_all(w.root.join(dir)).unwrap();
    }
    git(&w.root, &["add", "-A"]);
    git(
        &w.root,
        &["commit", "-q", "-m", "chore: an adopted workspace"],
    );
    git(&w.root, &["push", "-q", "origin", "main"]);
    let before = w.state();
    for dry_run in [false, true] {
        let mut args = vec!["--bump", "minor", "--push"];
        if dry_run {
            args.push("--dry-run");
        }
        let out = w.release(&args);
        let (stdout, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
        assert_eq!(
            stderr,
            "error: No staging manifest: staging/pyproject.toml does not exist, so the release \
             could not pin its packages there; nothing was changed\n\
             hint: run `release-tool manifests` to create staging/pyproject.toml from the dev \
             manifest, commit it, then run the same command again\n"
        );
        assert_eq!(before, w.state(), "nothing changed");
    }

    ok(&w.run(&["manifests"]));
    git(&w.root, &["add", "-A"]);
    git(
        &w.root,
        &["commit", "-q", "-m", "chore: staging and prod manifests"],
    );
    ok(&w.release(&["--bump", "minor", "--push"]));
    let prod = std::fs::read_to_string(w.root.join("prod/pyproject.toml")).unwrap();
    for name in ["a", "b", "c"] {
        let pin = format!(
            "{name} = {{ git = \"{}\", tag = \"v0.1.0\" }}",
            url(&w.remote(name))
        );
        assert!(prod.contains(&pin), "{pin}\n{prod}");
    }
}

/// `init` in an existing uv workspace: the staging and prod manifests it creates start with
/// what the product needs from the dev manifest (dev-only things left out); `manifests` then
/// has only the dependencies and pins to add.
#[test]
fn init_in_an_existing_root_starts_the_manifests_from_dev() {
    let env = TestEnv::new();
    let base = env.path();
    let root = base.join("adopted");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("pyproject.toml"), dev_manifest(&base)).unwrap();
    ok(&env.run(&root, ["init"]));
    for file in ["staging/pyproject.toml", "prod/pyproject.toml"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for wanted in [
            "name = \"product\"\n",
            "[project.optional-dependencies]\n# One extra per CUDA build of torchlike.\n\
             cu124 = [\"torchlike==1.0.0\"]\ncu128 = [\"torchlike==1.0.0\"]\n",
            "conflicts = [\n    [{ extra = \"cu124\" }, { extra = \"cu128\" }],\n]\n",
            "environments = [\"sys_platform == 'linux'\"]\n",
            "torchlike = [\n    { index = \"torch-cu124\", extra = \"cu124\" },\n",
            "[[tool.uv.index]]\nname = \"torch-cu128\"\n",
        ] {
            assert!(text.contains(wanted), "{file}: {wanted}\n{text}");
        }
        for unwanted in ["pytest-lite", "group", "workspace", "dependency-groups"] {
            assert!(!text.contains(unwanted), "{file}: {unwanted}\n{text}");
        }
    }
}
