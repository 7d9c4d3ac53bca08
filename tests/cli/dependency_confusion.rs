//! Dependency confusion (issue 22, item 6): the team's packages carry names that exist on the
//! public index. With `prod_source = "index"` and `prod_index`, the prod manifest routes every
//! member to the private index (`explicit = true` and a source per member), so uv never takes a
//! public package of the same name; pip with `--extra-index-url` would. Two real pypiservers:
//! the team's private index and a "public" one standing in for `PyPI`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::pypiserver::PyPiServer;
use crate::support::{TestEnv, commit_file, git, outputs, uv, write_config};

const TOKEN: &str = "pypi-FAKE-t0ken";

/// uv's settings for these tests: the test's own cache, no Python downloads, nothing from the
/// developer's environment about indexes.
fn uv_env(cmd: &mut Command, env: &TestEnv) {
    cmd.env("UV_CACHE_DIR", env.path().join("uv-cache"))
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_PROGRESS", "1")
        .env("RELEASE_TOOL_UV", uv());
    for k in [
        "UV_PUBLISH_URL",
        "UV_PUBLISH_TOKEN",
        "UV_INDEX_URL",
        "UV_DEFAULT_INDEX",
        "UV_INDEX",
        "UV_EXTRA_INDEX_URL",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
    ] {
        cmd.env_remove(k);
    }
}

fn run(env: &TestEnv, root: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut cmd = env.cmd(root);
    uv_env(&mut cmd, env);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("run release-tool")
}

fn set_version_and_tag(pkg: &Path, version: &str, tag: &str) {
    let pyproject = std::fs::read_to_string(pkg.join("pyproject.toml")).unwrap();
    let updated: String = pyproject
        .lines()
        .map(|l| {
            if l.starts_with("version = ") {
                format!("version = \"{version}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    commit_file(
        pkg,
        "pyproject.toml",
        &updated,
        &format!("chore: release {version}"),
    );
    git(
        pkg,
        &["tag", "-a", tag, "-m", &format!("Release {version}")],
    );
    git(pkg, &["push", "-q", "origin", "main", tag]);
}

/// An impostor wheel of `name` at `version` in `dir`: a module that says it is one.
fn impostor_wheel(dir: &Path, name: &str, version: &str) {
    let module = name.replace('-', "_");
    let script = format!(
        "import zipfile\n\
         info = '{module}-{version}.dist-info'\n\
         files = {{'{module}/__init__.py': 'IMPOSTOR = True\\n', \
         info + '/METADATA': 'Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n', \
         info + '/WHEEL': 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'}}\n\
         record = ''.join(f + ',,\\n' for f in files) + info + '/RECORD,,\\n'\n\
         z = zipfile.ZipFile('{module}-{version}-py3-none-any.whl', 'w')\n\
         [z.writestr(f, text) for f, text in files.items()]\n\
         z.writestr(info + '/RECORD', record)\n\
         z.close()\n"
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", outputs(&out).1);
}

/// The demo with every package released at 0.1.0 (tags pushed) and published to `private`.
fn published_demo(env: &TestEnv, private: &PyPiServer, config: &str) -> PathBuf {
    let root = env.demo();
    write_config(&root, config);
    for name in ["core-utils", "data-loader", "model-api"] {
        set_version_and_tag(&root.join("packages").join(name), "0.1.0", "v0.1.0");
    }
    let out = run(
        env,
        &root,
        &["publish", "--index", &private.url()],
        &[("UV_PUBLISH_TOKEN", TOKEN)],
    );
    assert!(out.status.success(), "{}", outputs(&out).1);
    root
}

#[test]
fn prod_index_routes_every_member_to_the_private_index_so_uv_never_takes_a_public_namesake() {
    let env = TestEnv::new();
    let private = PyPiServer::start(&env.path().join("private"));
    let public = PyPiServer::start(&env.path().join("public"));
    // The public index has the same names: an older-looking impostor at the team's own version
    // and a higher one.
    impostor_wheel(&public.packages, "core-utils", "0.1.0");
    impostor_wheel(&public.packages, "core-utils", "9.9.9");
    impostor_wheel(&public.packages, "data-loader", "9.9.9");
    let root = published_demo(
        &env,
        &private,
        &format!(
            "[tool.release_tool]\nprod_source = \"index\"\nprod_index = {{ name = \"private\", url = \"{}\" }}\n",
            private.simple_url()
        ),
    );

    let out = run(&env, &root, &["manifests"], &[]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let prod = std::fs::read_to_string(root.join("prod/pyproject.toml")).unwrap();
    assert!(
        prod.contains(
            "dependencies = [\"core-utils==0.1.0\", \"data-loader==0.1.0\", \"model-api==0.1.0\"]"
        ),
        "{prod}"
    );
    assert!(
        prod.contains(&format!(
            "[[tool.uv.index]]\nname = \"private\"\nurl = \"{}\"\nexplicit = true\n",
            private.simple_url()
        )),
        "{prod}"
    );
    for name in ["core-utils", "data-loader", "model-api"] {
        assert!(
            prod.contains(&format!("{name} = {{ index = \"private\" }}")),
            "{name}: {prod}"
        );
    }
    // Staging keeps its git pins; a second run changes nothing.
    let out = run(&env, &root, &["manifests", "--check"], &[]);
    assert!(out.status.success(), "{}", outputs(&out).1);

    // The public index is uv's default index here (as PyPI is): every member still comes from
    // the private one, at the team's version, and the impostor is never installed.
    let public_default = [("UV_DEFAULT_INDEX", public.simple_url())];
    let public_default: Vec<(&str, &str)> = public_default
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let out = run(&env, &root, &["sync", "prod"], &public_default);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let lock = std::fs::read_to_string(root.join("prod/uv.lock")).unwrap();
    for name in ["core-utils", "data-loader", "model-api"] {
        assert!(
            lock.contains(&format!(
                "name = \"{name}\"\nversion = \"0.1.0\"\nsource = {{ registry = \"{}\" }}",
                private.simple_url()
            )),
            "{name}: {lock}"
        );
    }
    assert!(!lock.contains(&public.simple_url()), "{lock}");
    let (ok, stdout, stderr) = crate::support::venv_python(
        &root.join("prod/.venv"),
        "import core_utils, importlib.metadata as m; \
         print(m.version('core-utils'), hasattr(core_utils, 'IMPOSTOR'))",
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "0.1.0 False");
}

#[test]
fn pip_with_an_extra_index_takes_the_public_namesake_and_one_index_url_does_not() {
    let env = TestEnv::new();
    let private = PyPiServer::start(&env.path().join("private"));
    let public = PyPiServer::start(&env.path().join("public"));
    impostor_wheel(&public.packages, "core-utils", "9.9.9");
    published_demo(&env, &private, "[tool.release_tool]\n");
    let venv = env.path().join("pip-venv");
    let out = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", outputs(&out).1);
    let pip = |args: &[&str]| {
        let mut cmd = Command::new(venv.join("bin/python"));
        for k in ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONFIG_FILE"] {
            cmd.env_remove(k);
        }
        let out = cmd
            .args(["-m", "pip", "install", "--quiet", "--no-cache-dir"])
            .args(["--disable-pip-version-check", "--force-reinstall"])
            .args(args)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "pip {args:?}: {}", outputs(&out).1);
        let (ok, stdout, stderr) = crate::support::venv_python(
            &venv,
            "import core_utils, importlib.metadata as m; \
             print(m.version('core-utils'), hasattr(core_utils, 'IMPOSTOR'))",
        );
        assert!(ok, "{stderr}");
        stdout.trim().to_owned()
    };
    // The hazard: pip takes the highest version across its indexes.
    assert_eq!(
        pip(&[
            "--index-url",
            &private.simple_url(),
            "--extra-index-url",
            &public.simple_url(),
            "core-utils",
        ]),
        "9.9.9 True"
    );
    // One index URL (the private one, proxying the public index for everything else): the
    // team's package.
    assert_eq!(
        pip(&["--index-url", &private.simple_url(), "core-utils"]),
        "0.1.0 False"
    );
}

#[test]
fn a_bad_prod_index_is_refused_by_key_and_nothing_changes() {
    let env = TestEnv::new();
    let root = env.demo();
    for (config, message) in [
        (
            "prod_index = { name = \"private\", url = \"https://bob:s3cret@pypi.example.com/simple/\" }",
            "`prod_index.url` must not hold credentials",
        ),
        (
            "prod_index = { name = \"my index\", url = \"https://pypi.example.com/simple/\" }",
            "`prod_index.name` must be letters, digits",
        ),
        (
            "prod_index = { name = \"private\", url = \"pypi.example.com\" }",
            "`prod_index.url` must be an http(s):// or file:// URL",
        ),
        (
            "prod_index = { url = \"https://pypi.example.com/simple/\" }",
            "`prod_index.name` must be letters, digits",
        ),
        (
            "public_index = \"ftp://x\"",
            "`public_index` must be an http(s)",
        ),
    ] {
        write_config(
            &root,
            &format!("[tool.release_tool]\nprod_source = \"index\"\n{config}\n"),
        );
        let before = crate::support::snapshot_tree(&root);
        let out = run(&env, &root, &["manifests"], &[]);
        let stderr = outputs(&out).1;
        assert_eq!(out.status.code(), Some(2), "{config}: {stderr}");
        assert!(
            stderr.starts_with("error: Invalid configuration"),
            "{stderr}"
        );
        assert!(stderr.contains(message), "{config}: {stderr}");
        assert!(stderr.contains("\nhint: "), "{stderr}");
        assert!(!stderr.contains("s3cret"), "{stderr}");
        assert_eq!(crate::support::snapshot_tree(&root), before);
    }
}

#[test]
fn check_warns_about_member_names_taken_on_the_public_index_cached_and_skipped_offline() {
    use crate::support::http::{FakeServer, Response};
    let env = TestEnv::new();
    let root = env.demo_released();
    // A fake of PyPI's JSON API: core-utils and model-api are taken, data-loader is free.
    let server = FakeServer::start(|req| match req.path.as_str() {
        "/pypi/core-utils/json" | "/pypi/model-api/json" => Response::json(
            200,
            &serde_json::json!({"info": {"name": "x", "version": "0.2.3"}}),
        ),
        _ => Response::json(404, &serde_json::json!({"message": "Not Found"})),
    });
    let base = format!("{}/pypi", server.url);
    let check = |base: &str| {
        let mut cmd = env.cmd(&root);
        let out = cmd
            .args(["check", "--no-locks"])
            .env("RELEASE_TOOL_PUBLIC_INDEX", base)
            .output()
            .unwrap();
        let (stdout, stderr) = outputs(&out);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        stderr
    };
    let stderr = check(&base);
    for name in ["core-utils", "model-api"] {
        assert!(
            stderr.contains(&format!(
                "warning: {name}: the name is taken on the public index ({base}/{name}/json): \
                 pip with --extra-index-url may install that package instead of yours; \
                 see docs/recipes.md#dependency-confusion"
            )),
            "{stderr}"
        );
    }
    assert!(!stderr.contains("data-loader: the name"), "{stderr}");
    assert!(stderr.contains("All checks passed"), "{stderr}");
    let mut asked: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            "/pypi/core-utils/json",
            "/pypi/data-loader/json",
            "/pypi/model-api/json"
        ]
    );
    // --json: the warnings next to the problems.
    let out = env
        .cmd(&root)
        .args(["check", "--no-locks", "--json"])
        .env("RELEASE_TOOL_PUBLIC_INDEX", &base)
        .output()
        .unwrap();
    let report = crate::support::json_doc(&out.stdout);
    assert_eq!(report["ok"], true);
    assert_eq!(report["warnings"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report["warnings"][0]["check"], "public-names");
    // Cached: the second and third runs asked nothing.
    assert_eq!(server.requests().len(), 3);
    assert!(root.join(".release_tool/cache/public-names.json").is_file());

    // Offline (nothing listens there) and no cache for that index: one note, and the check
    // still passes.
    let dead = format!(
        "http://127.0.0.1:{}/pypi",
        crate::support::pypiserver::free_port()
    );
    let stderr = check(&dead);
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("public-names check skipped"))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(
        notes[0].starts_with(&format!(
            "note: public-names check skipped: {dead} is unreachable"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("warning:"), "{stderr}");
    // "" turns the check off.
    let stderr = check("");
    assert!(!stderr.contains("public"), "{stderr}");
}
