//! The acceptance test of issue 16: one workspace with every trait of the real ones together —
//! six submodule packages with bare `file://` remotes, flat `packages = [...]` layouts,
//! hatchling and `uv_build` backends, torch-like CUDA indexes (`explicit = true`, local flat
//! indexes) with extras `cu124`/`cu128`, `conflicts` and a non-member source per extra, tags in
//! mixed spellings under `tag_prefix = ""`, a package on `master`, a member listed in another
//! spelling than its project name, and the Python tool's submodule and configuration — goes
//! through `migrate`, `status`, `check`, `manifests`, `release --bump minor --push` (fake forge)
//! and `sync prod` (real uv) with no hand edit in between; the end state is checked file by
//! file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::fake_github::FakeForge;
use crate::support::trunk::{EPOCH, bare, url};
use crate::support::{TestEnv, git, outputs, venv_python};

fn ok(out: &Output) -> (String, String) {
    let (stdout, stderr) = outputs(out);
    assert!(
        out.status.success(),
        "failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    (stdout, stderr)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The Python tool's configuration as the real workspace had it.
const OLD_CONFIG: &str = "[tool.release_tool]\n\
packages_dir = \"packages\"\n\
changes_filename = \"release_changes.txt\"\n\
commit_message_filename = \"commit_message.txt\"\n\
tag_message_filename = \"tag_message.txt\"\n\
changes_output_dir = \"release_tool/changes\"\n\
tag_prefix = \"\"\n\
git_remote = \"origin\"\n";

/// A package of the fixture: its name as its project spells it, backend, branch, dependencies,
/// and its history (version, tag) oldest first; a `feat:` commit follows the last tag.
struct Pkg {
    name: &'static str,
    uv_build: bool,
    branch: &'static str,
    deps: &'static [&'static str],
    history: &'static [(&'static str, &'static str)],
}

const PACKAGES: [Pkg; 6] = [
    Pkg {
        name: "core-utils",
        uv_build: false,
        branch: "main",
        deps: &[],
        history: &[
            ("0.0.1.dev0", "v0.0.1-dev0"),
            ("0.0.1", "0.0.1"),
            ("0.0.2.dev0", "0.0.2.dev0"),
        ],
    },
    Pkg {
        name: "data-loader",
        uv_build: true,
        branch: "main",
        deps: &["core-utils"],
        history: &[("0.0.1", "0.0.1")],
    },
    Pkg {
        name: "model-qwen2_5-vl",
        uv_build: false,
        branch: "main",
        deps: &["core-utils"],
        history: &[("0.0.1.dev1", "v0.0.1dev1")],
    },
    Pkg {
        name: "ingest",
        uv_build: true,
        branch: "master",
        deps: &["core-utils"],
        history: &[("0.0.1", "0.0.1")],
    },
    Pkg {
        name: "serving",
        uv_build: false,
        branch: "main",
        deps: &["model-qwen2-5-vl", "data-loader"],
        history: &[("0.0.1", "v0.0.1")],
    },
    Pkg {
        name: "trainer",
        uv_build: true,
        branch: "main",
        deps: &["data-loader"],
        history: &[("0.0.1.dev2", "0.0.1.dev2")],
    },
];

fn module(name: &str) -> String {
    name.replace('-', "_")
}

/// A package's pyproject at `version`: flat layout (`packages = [...]` for hatchling,
/// `module-root = ""` for `uv_build`).
fn pkg_manifest(pkg: &Pkg, version: &str) -> String {
    released_manifest(pkg, version, "")
}

/// [`pkg_manifest`] with `constraint` after each dependency's name (as the release writes
/// `>=0.1.0`, keeping the name's spelling).
fn released_manifest(pkg: &Pkg, version: &str, constraint: &str) -> String {
    let deps: Vec<String> = pkg
        .deps
        .iter()
        .map(|d| format!("\"{d}{constraint}\""))
        .collect();
    let build = if pkg.uv_build {
        "[build-system]\nrequires = [\"uv_build>=0.9,<1\"]\nbuild-backend = \"uv_build\"\n\n\
         [tool.uv.build-backend]\nmodule-root = \"\"\n"
            .to_owned()
    } else {
        format!(
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
             [tool.hatch.build.targets.wheel]\npackages = [\"{}\"]\n",
            module(pkg.name)
        )
    };
    format!(
        "[project]\nname = \"{}\"\nversion = \"{version}\"\nrequires-python = \">=3.10\"\n\
         dependencies = [{}]\n\n{build}",
        pkg.name,
        deps.join(", ")
    )
}

/// A flat package index at `dir` holding `torchlike 1.0.0+<variant>`, written by hand (as in
/// `manifests_sync.rs`).
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

/// A repository at `work` on `branch` pushed (with its tags) to a new bare remote `remote`.
fn publish(work: &Path, remote: &Path, branch: &str) {
    std::fs::create_dir_all(remote).unwrap();
    git(remote, &["init", "-q", "--bare", "-b", branch]);
    git(
        work,
        &["push", "-q", remote.to_str().unwrap(), branch, "--tags"],
    );
}

/// Package `pkg`'s repository with its history, pushed to `<base>/remotes/<name>.git`.
fn package_repo(base: &Path, pkg: &Pkg) {
    let work = base.join("work").join(pkg.name);
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", pkg.branch]);
    let module = module(pkg.name);
    write(
        &work.join(format!("{module}/__init__.py")),
        &format!("NAME = {:?}\n", pkg.name),
    );
    write(&work.join(".gitignore"), "__pycache__/\n");
    for (version, tag) in pkg.history {
        write(&work.join("pyproject.toml"), &pkg_manifest(pkg, version));
        git(&work, &["add", "-A"]);
        git(
            &work,
            &["commit", "-q", "-m", &format!("chore: version {version}")],
        );
        git(&work, &["tag", "-a", tag, "-m", tag]);
    }
    write(
        &work.join(format!("{module}/feature.py")),
        "FEATURE = True\n",
    );
    git(&work, &["add", "-A"]);
    git(
        &work,
        &[
            "commit",
            "-q",
            "-m",
            &format!("feat: {} learns a feature", pkg.name),
        ],
    );
    publish(&work, &remote(base, pkg.name), pkg.branch);
}

fn remote(base: &Path, name: &str) -> PathBuf {
    base.join("remotes").join(format!("{name}.git"))
}

/// The old tool's own repository, pushed to `<base>/remotes/release_tool.git`.
fn old_tool_repo(base: &Path) {
    let work = base.join("work/release_tool");
    write(
        &work.join("pyproject.toml"),
        "[project]\nname = \"release_tool\"\nversion = \"0.1.0.dev0\"\n\
         dependencies = [\"tomlkit>=0.13\", \"packaging>=23.0\"]\n\n\
         [project.scripts]\nrelease-tool-stage1 = \"release_tool.stage1:run\"\n\n\
         [build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
    );
    write(
        &work.join("core/config.py"),
        "_DEFAULTS = {\"tag_message_filename\": \"tag_message.txt\"}\n",
    );
    write(&work.join("stage1.py"), "def run():\n    pass\n");
    write(&work.join(".gitignore"), "changes/\n");
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "init"]);
    publish(&work, &remote(base, "release_tool"), "main");
}

/// Names of the root's dependency list, as the user spells them.
const ROOT_DEPS: &str = "dependencies = [\"core-utils\", \"data-loader\", \"ingest\", \
                         \"model-qwen2-5-vl\", \"serving\", \"trainer\"]";

/// The product settings every manifest shares (indexes, extras, conflicts, torch sources).
fn product_settings(base: &Path) -> (String, String, String) {
    let b = base.display();
    let extras = "[project.optional-dependencies]\n\
                  cu124 = [\"torchlike==1.0.0\"]\n\
                  cu128 = [\"torchlike==1.0.0\"]\n"
        .to_owned();
    let torch = "torchlike = [\n    { index = \"torch-cu124\", extra = \"cu124\" },\n    \
                 { index = \"torch-cu128\", extra = \"cu128\" },\n]\n"
        .to_owned();
    let indexes = format!(
        "[[tool.uv.index]]\nname = \"torch-cu124\"\nurl = \"file://{b}/indexes/cu124\"\n\
         format = \"flat\"\nexplicit = true\n\n\
         [[tool.uv.index]]\nname = \"torch-cu128\"\nurl = \"file://{b}/indexes/cu128\"\n\
         format = \"flat\"\nexplicit = true\n"
    );
    (extras, torch, indexes)
}

/// The dev manifest as the old tool's workspace had it.
fn dev_manifest(base: &Path) -> String {
    let (extras, torch, indexes) = product_settings(base);
    format!(
        "[project]\nname = \"product\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\n\
         {ROOT_DEPS}\n\n{extras}\n\
         [dependency-groups]\ndev = [\"release-tool\"]\n\n\
         [tool.uv]\npackage = false\nconflicts = [\n    [{{ extra = \"cu124\" }}, {{ extra = \"cu128\" }}],\n]\n\n\
         [tool.uv.workspace]\nmembers = [\"packages/*\", \"release_tool\"]\n\n\
         [tool.uv.sources]\n\
         core-utils = {{ workspace = true }}\n\
         data-loader = {{ workspace = true }}\n\
         ingest = {{ workspace = true }}\n\
         model-qwen2_5-vl = {{ workspace = true }}\n\
         serving = {{ workspace = true }}\n\
         trainer = {{ workspace = true }}\n\
         release-tool = {{ path = \"release_tool\" }}\n\
         {torch}\n{indexes}"
    )
}

/// The staging and prod manifests the old tool left: pins in their spellings, one written by
/// hand with `subdirectory = "."`, none of the product settings.
fn old_stage_manifest(base: &Path, prod: bool) -> String {
    let core = url(&remote(base, "core-utils"));
    let loader = url(&remote(base, "data-loader"));
    let pins = if prod {
        format!(
            "core-utils = {{ git = \"{core}\", tag = \"0.0.1\" }}\n\
             data-loader = {{ git = \"{loader}\", tag = \"0.0.1\" }}\n"
        )
    } else {
        format!(
            "core-utils = {{ git = \"{core}\", tag = \"v0.0.1-dev0\", subdirectory = \".\" }}\n\
             data-loader = {{ git = \"{loader}\", tag = \"0.0.1\" }}\n"
        )
    };
    format!(
        "[project]\nname = \"product\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\n\
         {ROOT_DEPS}\n\n[tool.uv.sources]\n{pins}"
    )
}

/// The whole fixture; returns the root.
fn build(env: &TestEnv) -> PathBuf {
    let base = env.path();
    for pkg in &PACKAGES {
        package_repo(&base, pkg);
    }
    old_tool_repo(&base);
    flat_index(&base.join("indexes/cu124"), "cu124");
    flat_index(&base.join("indexes/cu128"), "cu128");

    let root = base.join("product");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    for pkg in &PACKAGES {
        git(
            &root,
            &[
                "submodule",
                "add",
                "-q",
                &url(&remote(&base, pkg.name)),
                &format!("packages/{}", pkg.name),
            ],
        );
    }
    git(
        &root,
        &[
            "submodule",
            "add",
            "-q",
            &url(&remote(&base, "release_tool")),
            "release_tool",
        ],
    );
    write(&root.join("pyproject.toml"), &dev_manifest(&base));
    write(
        &root.join("staging/pyproject.toml"),
        &old_stage_manifest(&base, false),
    );
    write(
        &root.join("prod/pyproject.toml"),
        &old_stage_manifest(&base, true),
    );
    write(&root.join("release_tool.toml"), OLD_CONFIG);
    write(&root.join(".gitignore"), ".venv/\n__pycache__/\n");
    git(&root, &["add", "-A"]);
    git(
        &root,
        &[
            "commit",
            "-q",
            "-m",
            "chore: the product, run by release_tool",
        ],
    );
    let root_remote = remote(&base, "root");
    bare(&root_remote);
    git(&root, &["remote", "add", "origin", &url(&root_remote)]);
    git(&root, &["push", "-q", "-u", "origin", "main"]);
    root
}

fn cmd(env: &TestEnv, root: &Path) -> Command {
    let mut cmd = env.cmd_uv(root);
    cmd.env("SOURCE_DATE_EPOCH", EPOCH);
    cmd
}

fn run(env: &TestEnv, root: &Path, args: &[&str]) -> Output {
    cmd(env, root)
        .args(args)
        .output()
        .expect("run release-tool")
}

#[test]
fn a_real_workspace_goes_from_migrate_to_prod_with_no_hand_edit() {
    let env = TestEnv::new();
    let base = env.path();
    let root = build(&env);

    // migrate: the old tool out, its settings kept.
    let (_, err) = ok(&run(&env, &root, &["migrate"]));
    assert!(
        err.contains("Migrated from the Python release_tool:"),
        "{err}"
    );

    // status: every package, tags in any spelling read by PEP 440.
    let (stdout, err) = ok(&run(&env, &root, &["status", "--json"]));
    assert!(!stdout.is_empty(), "{err}");
    let report = crate::support::json_doc(&stdout);
    let rows = report["packages"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "{report}");
    for (name, last) in [
        ("core-utils", "0.0.2.dev0"),
        ("data-loader", "0.0.1"),
        ("model-qwen2_5-vl", "v0.0.1dev1"),
        ("ingest", "0.0.1"),
        ("serving", "v0.0.1"),
        ("trainer", "0.0.1.dev2"),
    ] {
        let row = rows
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {report}"));
        assert_eq!(row["last_tag"], last, "{row}");
    }

    // check, before manifests: staging and prod are behind dev's product settings, two packages
    // have no final release to pin in prod; no word of the old tool, and `uv_build` packages
    // are as good as hatchling ones.
    let out = run(&env, &root, &["check"]);
    let (stdout, err) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{err}");
    for stage in ["prod", "staging"] {
        assert!(
            stdout.contains(&format!(
                "{stage}/pyproject.toml is out of date (run `release-tool manifests`): not in \
                 step with the dev manifest: [project.optional-dependencies], [[tool.uv.index]], \
                 [tool.uv] conflicts, [tool.uv.sources] torchlike"
            )),
            "{stdout}"
        );
    }
    for name in ["model-qwen2_5-vl", "trainer"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(name) && l.contains("not pinned in prod")),
            "{name}: {stdout}"
        );
    }
    for absent in ["build backend", "release_tool", "Obsolete", "\npins "] {
        assert!(
            !stdout.contains(absent) && !err.contains(absent),
            "{absent}: {stdout}{err}"
        );
    }

    // manifests, committed and pushed as the docs say (git only: no file edited by hand).
    ok(&run(&env, &root, &["manifests"]));
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "chore: manifests"]);
    git(&root, &["push", "-q", "origin", "main"]);

    // release: every package from its newest tag (however spelled) to 0.1.0, tagged without
    // a prefix, one forge release each.
    let forge = FakeForge::github().start();
    crate::support::explicit_forge(&root);
    let out = cmd(&env, &root)
        .env("GITHUB_TOKEN", &forge.opts.token)
        .env("GITHUB_API_URL", forge.api_url())
        .args(["release", "--bump", "minor", "--push"])
        .output()
        .unwrap();
    let (stdout, _) = ok(&out);
    for (name, from) in [
        ("core-utils", "0.0.2.dev0"),
        ("data-loader", "0.0.1"),
        ("ingest", "0.0.1"),
        ("model-qwen2_5-vl", "0.0.1.dev1"),
        ("serving", "0.0.1"),
        ("trainer", "0.0.1.dev2"),
    ] {
        assert_eq!(
            crate::support::table_row(&stdout, name),
            Some(format!(
                "{name} {from} → 0.1.0 0.1.0 0.1.1.dev0 pushed, forge release, release assets"
            )),
            "{stdout}"
        );
        let releases = forge.releases(&format!("remotes/{name}"));
        assert_eq!(releases.len(), 1, "{name}: {releases:?}");
        assert_eq!(releases[0]["tag_name"], "0.1.0");
    }

    // sync prod with real uv: the packages from their tags.
    ok(&run(&env, &root, &["sync", "prod"]));

    // The end state, file by file.
    let (extras, torch, indexes) = product_settings(&base);
    let pin = |name: &str| {
        format!(
            "{{ git = \"{}\", tag = \"0.1.0\" }}",
            url(&remote(&base, name))
        )
    };
    // staging: the hand pin keeps its form (only its tag moved), the member is listed and
    // pinned in the root's spelling, the product settings are dev's, nothing dev-only.
    assert_eq!(
        read(&root.join("staging/pyproject.toml")),
        format!(
            "[project]\nname = \"product\"\nversion = \"0.2.0\"\nrequires-python = \">=3.10\"\n\
             {ROOT_DEPS}\n\n{extras}\n\
             [tool.uv]\nconflicts = [\n    [{{ extra = \"cu124\" }}, {{ extra = \"cu128\" }}],\n]\n\n\
             [tool.uv.sources]\n\
             core-utils = {{ git = \"{}\", tag = \"0.1.0\", subdirectory = \".\" }}\n\
             data-loader = {}\n{torch}ingest = {}\nmodel-qwen2-5-vl = {}\nserving = {}\n\
             trainer = {}\n\n{indexes}",
            url(&remote(&base, "core-utils")),
            pin("data-loader"),
            pin("ingest"),
            pin("model-qwen2_5-vl"),
            pin("serving"),
            pin("trainer"),
        )
    );
    // prod: the two packages without a final release before are added by the release, the
    // member in the root's spelling in the dependency list.
    assert_eq!(
        read(&root.join("prod/pyproject.toml")),
        format!(
            "[project]\nname = \"product\"\nversion = \"0.2.0\"\nrequires-python = \">=3.10\"\n\
             dependencies = [\"core-utils\", \"data-loader\", \"ingest\", \"serving\", \
             \"model-qwen2-5-vl\", \"trainer\"]\n\n{extras}\n\
             [tool.uv]\nconflicts = [\n    [{{ extra = \"cu124\" }}, {{ extra = \"cu128\" }}],\n]\n\n\
             [tool.uv.sources]\ncore-utils = {}\ndata-loader = {}\n{torch}ingest = {}\n\
             serving = {}\nmodel-qwen2_5-vl = {}\ntrainer = {}\n\n{indexes}",
            pin("core-utils"),
            pin("data-loader"),
            pin("ingest"),
            pin("serving"),
            pin("model-qwen2_5-vl"),
            pin("trainer"),
        )
    );
    // The dev manifest: the old tool gone, the rest as the user wrote it.
    let dev = read(&root.join("pyproject.toml"));
    assert_eq!(
        dev,
        dev_manifest(&base)
            .replace("dev = [\"release-tool\"]", "dev = []")
            .replace(", \"release_tool\"]", "]")
            .replace("release-tool = { path = \"release_tool\" }\n", "")
            // The product's version, bumped by the release (issue 20).
            .replacen(
                "name = \"product\"\nversion = \"0.1.0\"",
                "name = \"product\"\nversion = \"0.2.0\"",
                1
            )
    );
    // The configuration: the obsolete key out, the old settings (`tag_prefix = ""`) kept.
    assert_eq!(
        read(&root.join("release_tool.toml")),
        OLD_CONFIG.replace("changes_filename = \"release_changes.txt\"\n", "")
            + "\n[tool.release_tool.forge]\nkind = \"github\"\n"
    );
    assert_eq!(
        read(&root.join(".gitignore")),
        ".venv/\n__pycache__/\n# release-tool: work files and state\nrelease_tool/changes/\n\
         .release_tool/\n"
    );
    let mut gitmodules = String::new();
    for pkg in &PACKAGES {
        gitmodules.push_str(&format!(
            "[submodule \"packages/{n}\"]\n\tpath = packages/{n}\n\turl = {}\n",
            url(&remote(&base, pkg.name)),
            n = pkg.name
        ));
    }
    assert_eq!(read(&root.join(".gitmodules")), gitmodules);
    assert!(!root.join("release_tool").exists());
    assert!(!root.join(".git/modules/release_tool").exists());

    // The remotes: the new tags next to the old spellings, the next cycle on each base branch
    // (`master` for ingest, which has no `main`).
    for pkg in &PACKAGES {
        let remote = remote(&base, pkg.name);
        let mut tags: Vec<String> = pkg.history.iter().map(|(_, t)| (*t).to_owned()).collect();
        tags.push("0.1.0".to_owned());
        tags.sort();
        let listed = git(&remote, &["tag", "--list"]);
        let mut listed: Vec<&str> = listed.lines().collect();
        listed.sort_unstable();
        assert_eq!(listed, tags, "{}", pkg.name);
        assert_eq!(
            git(
                &remote,
                &["for-each-ref", "--format=%(refname:short)", "refs/heads"]
            )
            .trim(),
            pkg.branch,
            "{}",
            pkg.name
        );
        git(
            &remote,
            &["merge-base", "--is-ancestor", "0.1.0", pkg.branch],
        );
        assert_eq!(
            git(&remote, &["show", "0.1.0:pyproject.toml"]),
            released_manifest(pkg, "0.1.0", ">=0.1.0")
        );
        assert_eq!(
            git(
                &remote,
                &["show", &format!("{}:pyproject.toml", pkg.branch)]
            ),
            released_manifest(pkg, "0.1.1.dev0", ">=0.1.0")
        );
    }
    // The root: committed and pushed, nothing left over.
    assert_eq!(git(&root, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&root, &["rev-parse", "main"]),
        git(&remote(&base, "root"), &["rev-parse", "main"])
    );

    // The prod environment has every package at its release, and each release's code.
    let (imported, stdout, err) = venv_python(
        &root.join("prod/.venv"),
        "import importlib.metadata as m\n\
         import core_utils.feature, data_loader.feature, ingest.feature\n\
         import model_qwen2_5_vl.feature, serving.feature, trainer.feature\n\
         for n in ['core-utils', 'data-loader', 'ingest', 'model-qwen2-5-vl', 'serving', 'trainer']:\n\
         \x20   print(n, m.version(n))",
    );
    assert!(imported, "{err}");
    assert_eq!(
        stdout,
        "core-utils 0.1.0\ndata-loader 0.1.0\ningest 0.1.0\nmodel-qwen2-5-vl 0.1.0\n\
         serving 0.1.0\ntrainer 0.1.0\n"
    );

    // The prod lock resolves the torch parts from the explicit index of the extra asked for.
    let out = Command::new(crate::support::uv())
        .envs(crate::support::uv_env())
        .current_dir(root.join("prod"))
        .args(["sync", "--locked", "--extra", "cu128"])
        .output()
        .unwrap();
    ok(&out);
    let (imported, stdout, err) = venv_python(
        &root.join("prod/.venv"),
        "import torchlike, serving; print(torchlike.VARIANT)",
    );
    assert!(imported, "{err}");
    assert_eq!(stdout.trim(), "cu128");

    // check: everything in step; the only problem left is the dev lock nobody asked for.
    let (_, err) = ok(&run(&env, &root, &["check", "--no-locks"]));
    assert!(err.contains("All checks passed"), "{err}");
    let out = run(&env, &root, &["check"]);
    let (stdout, err) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{err}");
    assert_eq!(
        stdout,
        "CHECK  PACKAGE  PROBLEM\n\
         locks  (root)   dev: no uv.lock (run `release-tool lock dev`)\n",
        "{err}"
    );
}
