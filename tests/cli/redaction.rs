//! Tokens and API keys never appear anywhere (docs/reference.md §5): a broad set of commands runs with fake
//! secrets in the environment and in the remotes' URLs (`file://x-access-token:<token>@/…`, which
//! git still fetches and pushes through), including a failing forge that echoes the token, verbose
//! logs of every git argv, the journal, a usage error and a forced panic; then stdout, stderr, every file and
//! every git object under the test's directory (work trees, `.release_tool/`, bare remotes) and
//! everything the fake servers received (but the `Authorization` header) are searched for each
//! secret: zero hits.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

use crate::support::fake_github::FakeForge;
use crate::support::http::{FakeServer, Request, Response};
use crate::support::{TestEnv, add_config, commit_file, git, hermetic, outputs};

const GITHUB_TOKEN: &str = "ghp_FAKEgithubTOKEN0123456789redact";
const GH_TOKEN: &str = "gho_FAKEghTOKEN0123456789redact";
const GITEA_TOKEN: &str = "gitea_FAKE_token_0123456789redact";
const OPENAI_API_KEY: &str = "sk-FAKEopenaiKEY0123456789redact";
/// In a variable whose name says nothing: a secret only because `docker.secret_env` names it.
const PRIVATE_INDEX: &str = "pypi-FAKEprivateINDEX0123456789redact";
/// Only in the remotes' URLs, never in the environment.
const URL_TOKEN: &str = "ghs_FAKEurlCREDENTIAL0123456789redact";

const SECRETS: &[&str] = &[
    GITHUB_TOKEN,
    GH_TOKEN,
    GITEA_TOKEN,
    OPENAI_API_KEY,
    PRIVATE_INDEX,
    URL_TOKEN,
];
const PACKAGES: [&str; 3] = ["core-utils", "data-loader", "model-api"];

fn with_secrets(cmd: &mut Command, forge: &FakeForge) {
    if let Some(root) = cmd.get_current_dir() {
        crate::support::explicit_forge(root);
    }
    cmd.env("GITHUB_TOKEN", GITHUB_TOKEN)
        .env("GH_TOKEN", GH_TOKEN)
        .env("GITEA_TOKEN", GITEA_TOKEN)
        .env("OPENAI_API_KEY", OPENAI_API_KEY)
        .env("RT_PRIVATE_INDEX", PRIVATE_INDEX)
        .env("GITHUB_API_URL", forge.api_url())
        .env("RELEASE_TOOL_LLM_RETRY_BASE_MS", "10")
        .env("SOURCE_DATE_EPOCH", "1767225600");
}

/// A fake OpenAI-compatible API: a tag message for every well-formed request with the key.
fn llm_server() -> FakeServer {
    FakeServer::start(|request| {
        if request.header("authorization") != Some(&format!("Bearer {OPENAI_API_KEY}")) {
            return Response::json(401, &json!({"error": {"message": "bad key"}}));
        }
        Response::json(
            200,
            &json!({
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": "test-model",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": "feat: news for everyone\n\nMore news."},
                    "finish_reason": "stop"
                }]
            }),
        )
    })
}

/// Every request a fake server received, but the `Authorization` header, as text.
fn recorded(requests: &[Request]) -> String {
    let mut text = String::new();
    for r in requests {
        text.push_str(&format!("{} {}\n", r.method, r.path));
        for (name, value) in &r.headers {
            if name != "authorization" {
                text.push_str(&format!("{name}: {value}\n"));
            }
        }
        text.push_str(&String::from_utf8_lossy(&r.body));
        text.push('\n');
    }
    text
}

/// The git directories under `dir` (bare remotes, `.git`, `.git/modules/*`).
fn git_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if path.join("objects").is_dir() && path.join("HEAD").is_file() {
            out.push(path.clone());
        }
        git_dirs(&path, out);
    }
}

/// Every file's bytes under `dir` except `skip`, and every object of every repository
/// (decompressed by `git cat-file --batch-all-objects`), as (where, text).
fn everything_stored(dir: &Path, skip: &[PathBuf]) -> Vec<(String, String)> {
    fn files(dir: &Path, skip: &[PathBuf], out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                files(&path, skip, out);
            } else if !skip.contains(&path)
                && let Ok(bytes) = std::fs::read(&path)
            {
                out.push((
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    files(dir, skip, &mut out);
    let mut repos = Vec::new();
    git_dirs(dir, &mut repos);
    assert!(repos.len() >= 8, "remotes and work trees found: {repos:?}");
    for repo in repos {
        let mut cmd = Command::new("git");
        hermetic(&mut cmd);
        let objects = cmd
            .arg("--git-dir")
            .arg(&repo)
            .args(["cat-file", "--batch-all-objects", "--batch", "--unordered"])
            .output()
            .unwrap();
        assert!(objects.status.success(), "{}", repo.display());
        out.push((
            format!("objects of {}", repo.display()),
            String::from_utf8_lossy(&objects.stdout).into_owned(),
        ));
    }
    out
}

fn assert_no_secret(where_: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "a secret ({secret}) is in {where_}:\n{text}"
        );
    }
}

/// Point a repository's `origin` at the same place through a URL that carries `URL_TOKEN`.
fn plant_credentials(repo: &Path) -> String {
    let url = git(repo, &["remote", "get-url", "origin"]);
    let path = url.trim().strip_prefix("file://").unwrap().to_owned();
    let with_token = format!("file://x-access-token:{URL_TOKEN}@{path}");
    git(repo, &["remote", "set-url", "origin", &with_token]);
    with_token
}

#[test]
fn no_token_or_key_reaches_output_files_remotes_or_servers() {
    let env = TestEnv::new();
    let root = env.demo_released();
    let llm = llm_server();
    // Relative submodule URLs resolve against the root's remote (which will carry a token).
    let gitmodules = std::fs::read_to_string(root.join(".gitmodules")).unwrap();
    let remotes = format!("file://{}/demo/remotes/", env.path().display());
    std::fs::write(
        root.join(".gitmodules"),
        gitmodules.replace(&remotes, "../"),
    )
    .unwrap();
    add_config(
        &root,
        &format!(
            "\n[tool.release_tool.llm]\nbase_url = \"{}/v1\"\nmodel = \"test-model\"\n\
             \n[tool.release_tool.docker]\nsecret_env = [\"RT_PRIVATE_INDEX\"]\n",
            llm.url
        ),
    );
    git(
        &root,
        &[
            "commit",
            "-qam",
            "relative submodule URLs, LLM and docker settings",
        ],
    );
    git(&root, &["push", "-q", "origin", "main"]);
    for name in PACKAGES {
        let pkg = root.join("packages").join(name);
        commit_file(&pkg, "NEWS.txt", &format!("{name} news\n"), "feat: news");
        git(&pkg, &["push", "-q", "origin", "main"]);
    }
    // Tokens in every remote URL; git keeps them in the repositories' own config, which the
    // user wrote (those files alone are not searched).
    let mut planted = vec![root.join(".git/config")];
    plant_credentials(&root);
    for name in PACKAGES {
        plant_credentials(&root.join("packages").join(name));
        planted.push(root.join(format!(".git/modules/packages/{name}/config")));
    }

    let forge = FakeForge::github().token(GITHUB_TOKEN).start();
    let run = |args: &[&str], forge: &FakeForge| -> Output {
        let mut cmd = env.cmd_uv(&root);
        with_secrets(&mut cmd, forge);
        cmd.args(args).output().unwrap()
    };
    let mut outs: Vec<(String, Output)> = Vec::new();
    for args in [
        &["-vv", "status", "--fetch"][..],
        &["status", "--json"],
        &["check"],
        &["-v", "manifests", "--dry-run"],
        &["manifests", "--json", "--dry-run"],
        &["update", "--dry-run"],
        &["config", "show"],
        &["config", "show", "--json"],
        &["-vv", "notes", "--llm"],
        &["release", "--bump", "minor", "--push", "--dry-run"],
        &[
            "release",
            "--bump",
            "minor",
            "--push",
            "--dry-run",
            "--json",
        ],
        &["-vv", "release", "--bump", "minor", "--push"],
        &["manifests"],
        &["-vv", "status", "--fetch", "--json"],
    ] {
        let out = run(args, &forge);
        outs.push((args.join(" "), out));
    }
    let (_, release) = &outs[11];
    assert!(release.status.success(), "{}", outputs(release).1);
    assert_eq!(
        forge.releases("remotes/core-utils").len(),
        1,
        "the release ran"
    );

    // A forge that rejects the token and echoes it back: the error, the hint and the journal
    // carry `***`.
    let hostile = FakeForge::github()
        .token(GITHUB_TOKEN)
        .unauthorized()
        .echo_auth()
        .start();
    for name in PACKAGES {
        let pkg = root.join("packages").join(name);
        commit_file(&pkg, "MORE.txt", "more\n", "fix: more");
        git(&pkg, &["push", "-q", "origin", "main"]);
    }
    let failed = run(&["release", "--bump", "patch", "--push"], &hostile);
    let stderr = outputs(&failed).1;
    assert!(!failed.status.success(), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    outs.push(("release against a hostile forge".to_owned(), failed));

    // A panic whose message carries secrets.
    let mut cmd = env.cmd(&root);
    with_secrets(&mut cmd, &forge);
    let panic = cmd
        .env(
            "RELEASE_TOOL_TEST_PANIC",
            format!(
                "boom {GITHUB_TOKEN} {OPENAI_API_KEY} https://x-access-token:{URL_TOKEN}@github.com/o/r"
            ),
        )
        .arg("status")
        .output()
        .unwrap();
    let stderr = outputs(&panic).1;
    assert_eq!(panic.status.code(), Some(101), "{stderr}");
    assert!(
        stderr.contains("release-tool panicked")
            && stderr.contains("boom *** *** https://***@github.com/o/r"),
        "{stderr}"
    );
    outs.push(("a panic".to_owned(), panic));

    // A usage error quotes the argument given (here a URL with a token).
    let bad_color = format!("https://x-access-token:{URL_TOKEN}@github.com/o/r");
    let usage = run(&["--color", &bad_color, "status"], &forge);
    let stderr = outputs(&usage).1;
    assert_eq!(usage.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'https://***@github.com/o/r' for '--color"),
        "{stderr}"
    );
    outs.push(("a usage error".to_owned(), usage));

    for (what, out) in &outs {
        let (stdout, stderr) = outputs(out);
        assert_no_secret(&format!("the stdout of `{what}`"), &stdout);
        assert_no_secret(&format!("the stderr of `{what}`"), &stderr);
    }
    // The verbose logs did show the remotes (masked): the test would be hollow otherwise.
    let (_, verbose) = outputs(&outs[0].1);
    assert!(verbose.contains("git "), "{verbose}");
    assert!(
        std::fs::read_to_string(root.join(".release_tool/journal.json"))
            .unwrap()
            .contains("***"),
        "the journal records the forge's (masked) answer"
    );

    for (where_, text) in everything_stored(&env.path(), &planted) {
        assert_no_secret(&where_, &text);
    }
    assert_no_secret(
        "the fake forge's requests",
        &recorded(&forge.server.requests()),
    );
    assert_no_secret(
        "the hostile forge's requests",
        &recorded(&hostile.server.requests()),
    );
    assert_no_secret("the LLM server's requests", &recorded(&llm.requests()));
    assert!(!llm.requests().is_empty(), "notes --llm asked the LLM");
}
