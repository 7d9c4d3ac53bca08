//! No uv installed: release-tool downloads the pinned uv wheel from the package index (here a
//! local index served by the test), checks its sha256 against the index's hash and unpacks `uv`
//! into the user cache, never leaving a half-written uv there.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::Digest as _;

use crate::support::http::{FakeServer, Response};
use crate::support::{TestEnv, UV_VERSION, hermetic, outputs};

const WHEEL_PLATFORM: &str = if cfg!(target_arch = "aarch64") {
    "manylinux_2_17_aarch64.manylinux2014_aarch64"
} else {
    "manylinux_2_17_x86_64.manylinux2014_x86_64"
};

fn wheel_name() -> String {
    format!("uv-{UV_VERSION}-py3-none-{WHEEL_PLATFORM}.whl")
}

/// A wheel laid out like uv's, holding `uv` (stored, not compressed: it may be the real one).
fn wheel_with(uv: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(uv.len() > 0xFFFF_0000)
        .unix_permissions(0o755);
    zip.start_file(format!("uv-{UV_VERSION}.data/scripts/uv"), options)
        .unwrap();
    zip.write_all(uv).unwrap();
    zip.finish().unwrap().into_inner()
}

/// A wheel laid out like uv's, whose `uv` is a script that answers `--version` like uv and
/// logs every other call to `log`.
fn wheel(log: &Path) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    zip.start_file(format!("uv-{UV_VERSION}.data/scripts/uv"), options)
        .unwrap();
    write!(
        zip,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'uv {UV_VERSION}'; exit 0; fi\necho \"$@\" >> '{}'\n",
        log.display()
    )
    .unwrap();
    zip.start_file(format!("uv-{UV_VERSION}.dist-info/METADATA"), options)
        .unwrap();
    write!(zip, "Name: uv\nVersion: {UV_VERSION}\n").unwrap();
    zip.finish().unwrap().into_inner()
}

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[derive(Clone, Copy)]
enum Page {
    Json,
    Html,
}

/// A package index with one project, `uv`: a wheel published with `hash`.
fn index(wheel: Vec<u8>, hash: String, page: Page) -> FakeServer {
    let name = wheel_name();
    FakeServer::start(move |req| {
        let wants_json = req
            .header("accept")
            .is_some_and(|a| a.contains("application/vnd.pypi.simple.v1+json"));
        match req.path.as_str() {
            "/simple/uv/" if matches!(page, Page::Json) && wants_json => Response {
                status: 200,
                headers: vec![(
                    "Content-Type".to_owned(),
                    "application/vnd.pypi.simple.v1+json".to_owned(),
                )],
                body: serde_json::json!({
                    "meta": {"api-version": "1.1"},
                    "name": "uv",
                    "files": [
                        {"filename": format!("uv-{UV_VERSION}.tar.gz"), "url": "../../files/sdist", "hashes": {"sha256": "00"}},
                        {"filename": name, "url": format!("../../files/{name}"), "hashes": {"sha256": hash}},
                    ],
                })
                .to_string()
                .into_bytes(),
            },
            "/simple/uv/" => Response {
                status: 200,
                headers: vec![("Content-Type".to_owned(), "text/html".to_owned())],
                body: format!(
                    "<!DOCTYPE html><html><body><h1>Links for uv</h1>\n\
                     <a href=\"/files/{name}#sha256={hash}\" data-requires-python=\"&gt;=3.8\">{name}</a><br/>\n\
                     </body></html>"
                )
                .into_bytes(),
            },
            path if path == format!("/files/{name}") => Response {
                status: 200,
                headers: vec![(
                    "Content-Type".to_owned(),
                    "application/octet-stream".to_owned(),
                )],
                body: wheel.clone(),
            },
            _ => Response {
                status: 404,
                headers: Vec::new(),
                body: b"not found".to_vec(),
            },
        }
    })
}

/// A directory for `PATH` with `git` only (no uv).
fn path_without_uv(env: &TestEnv) -> PathBuf {
    let bin = env.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let git = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::os::unix::fs::symlink(git.trim(), bin.join("git")).unwrap();
    bin
}

/// `release-tool lock dev` in `root` with no uv installed, the cache in `<tmp>/cache` and the
/// index at `index`.
fn lock_dev(env: &TestEnv, root: &Path, index: &str, download: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_release-tool"));
    hermetic(&mut cmd);
    cmd.env_remove("RELEASE_TOOL_UV")
        .env("PATH", path_or_make(env))
        .env("XDG_CACHE_HOME", env.path().join("cache"))
        .env("UV_INDEX_URL", index)
        .env_remove("UV_DEFAULT_INDEX")
        .env_remove("PIP_INDEX_URL")
        .current_dir(root)
        .args(["lock", "dev"]);
    if download {
        cmd.env_remove("RELEASE_TOOL_NO_UV_DOWNLOAD");
    }
    cmd.output().unwrap()
}

fn path_or_make(env: &TestEnv) -> PathBuf {
    let bin = env.path().join("bin");
    if bin.is_dir() {
        bin
    } else {
        path_without_uv(env)
    }
}

/// Every entry under the cache's `release-tool` directory.
fn cache_entries(env: &TestEnv) -> Vec<String> {
    let dir = env.path().join("cache/release-tool");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn downloads_the_pinned_uv(page: Page) {
    let env = TestEnv::new();
    let root = env.demo();
    let log = env.path().join("uv.log");
    let wheel = wheel(&log);
    let hash = sha256(&wheel);
    let server = index(wheel, hash, page);
    let simple = format!("{}/simple", server.url);

    let out = lock_dev(&env, &root, &simple, true);
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let cached = env
        .path()
        .join(format!("cache/release-tool/uv-{UV_VERSION}"));
    let line = format!(
        "Downloaded uv {UV_VERSION} from {simple} into {} (no uv installed; sha256 checked)",
        cached.display()
    );
    assert_eq!(stderr.matches(&line).count(), 1, "{stderr}");
    let uv = cached.join("uv");
    let mode = std::fs::metadata(&uv).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "executable: {mode:o}");
    assert_eq!(cache_entries(&env), [format!("uv-{UV_VERSION}")]);
    assert!(
        std::fs::read_to_string(&log).unwrap().starts_with("lock"),
        "the downloaded uv ran"
    );
    let accept = server.requests()[0]
        .header("accept")
        .unwrap_or_default()
        .to_owned();
    assert!(
        accept.starts_with("application/vnd.pypi.simple.v1+json"),
        "{accept}"
    );

    // The second run uses the cached uv: no download, no request.
    let requests = server.requests().len();
    let out = lock_dev(&env, &root, &simple, true);
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("Downloaded uv"), "{stderr}");
    assert_eq!(server.requests().len(), requests);
    assert_eq!(
        std::fs::read_to_string(&log)
            .unwrap()
            .matches("lock")
            .count(),
        2
    );
}

#[test]
fn a_path_without_uv_gets_the_pinned_uv_from_the_index() {
    downloads_the_pinned_uv(Page::Json);
}

#[test]
fn an_index_with_html_pages_only_works_too() {
    downloads_the_pinned_uv(Page::Html);
}

#[test]
fn a_wheel_with_a_bad_hash_is_refused_and_leaves_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let wheel = wheel(&env.path().join("uv.log"));
    let server = index(wheel, "0".repeat(64), Page::Json);
    let before = crate::support::snapshot_tree(&root);
    let out = lock_dev(&env, &root, &format!("{}/simple", server.url), true);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: The uv wheel {} from {}/simple does not match the index's sha256",
            wheel_name(),
            server.url
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: install uv"), "{stderr}");
    assert!(cache_entries(&env).is_empty(), "{:?}", cache_entries(&env));
    assert_eq!(before, crate::support::snapshot_tree(&root));
}

#[test]
fn offline_is_a_clear_error_and_leaves_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let index = format!("http://127.0.0.1:{port}/simple");
    let out = lock_dev(&env, &root, &index, true);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: Cannot download uv {UV_VERSION} from {index}: GET {index}/uv/"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: install uv"), "{stderr}");
    assert!(cache_entries(&env).is_empty(), "{:?}", cache_entries(&env));
}

#[test]
fn no_uv_download_is_a_clear_error() {
    let env = TestEnv::new();
    let root = env.demo();
    let server = index(Vec::new(), String::new(), Page::Json);
    let out = lock_dev(&env, &root, &format!("{}/simple", server.url), false);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("RELEASE_TOOL_NO_UV_DOWNLOAD is set, so it is not downloaded"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: install uv"), "{stderr}");
    assert!(server.requests().is_empty());
    assert!(cache_entries(&env).is_empty());
}

#[test]
fn a_uv_older_than_the_minimum_is_reported_with_the_hint() {
    let env = TestEnv::new();
    let root = env.demo();
    let bin = path_without_uv(&env);
    let old = bin.join("uv");
    std::fs::write(
        &old,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'uv 0.4.0'; exit 0; fi\nexit 0\n",
    )
    .unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = lock_dev(&env, &root, "http://127.0.0.1:9/simple", true);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: uv 0.4.0 at {} is older than the oldest uv release-tool supports",
            old.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: install uv"), "{stderr}");
}

/// README's command 1 on a machine without uv: the demo gets the pinned uv from the index (here
/// a local one serving the real uv binary in a wheel) and does the whole job.
#[test]
fn the_demo_does_the_whole_job_without_an_installed_uv() {
    let env = TestEnv::new();
    let real = std::fs::read(crate::support::uv()).unwrap();
    let wheel = wheel_with(&real);
    let hash = sha256(&wheel);
    let server = index(wheel, hash, Page::Json);
    // The test's PATH (git, its helpers, python3 for uv) without any directory that holds uv.
    let path = std::env::join_paths(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .filter(|d| !d.join("uv").exists()),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_release-tool"));
    hermetic(&mut cmd);
    for (k, v) in crate::support::uv_env() {
        cmd.env(k, v);
    }
    // PIP_INDEX_URL: release-tool reads it, uv does not (uv's own builds use PyPI, as always).
    cmd.env_remove("RELEASE_TOOL_UV")
        .env_remove("RELEASE_TOOL_NO_UV_DOWNLOAD")
        .env_remove("UV_INDEX_URL")
        .env_remove("UV_DEFAULT_INDEX")
        .env("PIP_INDEX_URL", format!("{}/simple", server.url))
        .env("PATH", &path)
        .env("XDG_CACHE_HOME", env.path().join("cache"))
        .current_dir(env.path())
        .args(["demo", "d", "--no-build"]);
    let out = cmd.output().unwrap();
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    for expected in [
        &format!("Downloaded uv {UV_VERSION} from {}/simple", server.url),
        "core_utils.hello() after an edit:  Hello from an edited core-utils!",
        "── release-tool release --bump minor --push ──",
        "prod: PROD RUNS CORE-UTILS 0.1.0!",
        "Wrote docker/Dockerfile and .dockerignore",
        "All checks passed",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(env.path().join("d/workspace/docker/Dockerfile").is_file());
}
