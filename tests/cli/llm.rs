//! `changes --llm` and `notes --llm` against a fake OpenAI-compatible server that checks each
//! request like the real API (method, path, bearer key, JSON body with model and messages).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::support::http::{FakeServer, Request, Response};
use crate::support::{TestEnv, add_config, commit_file, git, outputs, snapshot_tree};

/// The API key of every test: it must never show up anywhere.
const KEY: &str = "sk-test-SECRET-123";
const MODEL: &str = "test-model";
const PATH: &str = "/v1/chat/completions";

/// A GitHub token planted in a package's changes (the LLM must not see it).
const PLANTED_TOKEN: &str = "ghp_PLANTEDplantedPLANTED0123456789abcd";
/// The body of a private key planted in a package's changes.
const PLANTED_KEY_BODY: &str = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQPLANTEDKEYBODY";

/// The answer of the API to a request, the way `OpenAI` checks it: 404 for another path or
/// method, 401 without the right bearer key, 400 without model and messages.
fn check(request: &Request) -> Result<Value, Response> {
    let error = |status: u16, message: &str| {
        Response::json(
            status,
            &json!({"error": {"message": message, "type": "invalid_request_error"}}),
        )
    };
    if request.method != "POST" || request.path != PATH {
        return Err(error(404, "Unknown request URL"));
    }
    if request.header("authorization") != Some(&format!("Bearer {KEY}")) {
        return Err(error(401, "Incorrect API key provided"));
    }
    if !request
        .header("content-type")
        .is_some_and(|v| v.starts_with("application/json"))
    {
        return Err(error(400, "Content-Type must be application/json"));
    }
    let Some(body) = request.json() else {
        return Err(error(
            400,
            "We could not parse the JSON body of your request.",
        ));
    };
    let messages = body["messages"].as_array();
    let well_formed = body["model"] == MODEL
        && messages.is_some_and(|m| {
            m.len() == 2
                && m[0]["role"] == "system"
                && m[1]["role"] == "user"
                && m.iter()
                    .all(|x| x["content"].as_str().is_some_and(|c| !c.is_empty()))
        });
    if !well_formed {
        return Err(error(
            400,
            "you must provide a model parameter and messages",
        ));
    }
    Ok(body)
}

fn completion(content: &str) -> Response {
    Response::json(
        200,
        &json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        }),
    )
}

/// A server that answers every valid request with `answer(package)`, the package read from the
/// prompt's heading.
fn llm_server(answer: fn(&str) -> String) -> FakeServer {
    FakeServer::start(move |request| match check(request) {
        Ok(body) => {
            let user = body["messages"][1]["content"].as_str().unwrap_or("");
            let package = ["core-utils", "data-loader", "model-api"]
                .into_iter()
                .find(|p| user.contains(&format!("`{p}`")))
                .unwrap_or("unknown");
            completion(&answer(package))
        }
        Err(response) => response,
    })
}

/// Point the workspace at the server.
fn configure(root: &Path, server: &FakeServer, extra: &str) {
    add_config(
        root,
        &format!(
            "\n[tool.release_tool.llm]\nbase_url = \"{}/v1\"\nmodel = \"{MODEL}\"\n{extra}",
            server.url
        ),
    );
    git(root, &["commit", "-qam", "configure the LLM"]);
}

/// Run with the key set (and short retry delays).
fn run_llm(env: &TestEnv, root: &Path, args: &[&str]) -> Output {
    env.cmd(root)
        .env("OPENAI_API_KEY", KEY)
        .env("RELEASE_TOOL_LLM_RETRY_BASE_MS", "10")
        .args(args)
        .output()
        .expect("run release-tool")
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$#&-~/:".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// `n` lines made by `line`.
fn lines(n: usize, line: impl Fn(usize) -> String) -> String {
    (0..n).map(|i| line(i) + "\n").collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pkg(root: &Path, name: &str) -> PathBuf {
    root.join("packages").join(name)
}

fn changes(root: &Path, name: &str, file: &str) -> PathBuf {
    root.join("release_tool/changes").join(name).join(file)
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let path = e.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file()
                && std::fs::read(&path)
                    .unwrap_or_default()
                    .windows(needle.len())
                    .any(|w| w == needle.as_bytes())
            {
                found.push(path);
            }
        }
    }
    found
}

/// The key is in no output and no file.
fn assert_key_nowhere(env: &TestEnv, outs: &[&Output]) {
    for out in outs {
        let (stdout, stderr) = outputs(out);
        assert!(!stdout.contains(KEY), "key in stdout:\n{stdout}");
        assert!(!stderr.contains(KEY), "key in stderr:\n{stderr}");
    }
    assert_eq!(files_containing(&env.path(), KEY), Vec::<PathBuf>::new());
}

/// A modified tracked file in a package.
fn dirty(root: &Path, name: &str, line: &str) {
    let module = name.replace('-', "_");
    let init = pkg(root, name).join(format!("src/{module}/__init__.py"));
    let mut text = read(&init);
    text.push_str(line);
    std::fs::write(&init, text).unwrap();
}

fn user_prompt(request: &Request) -> String {
    request.json().unwrap()["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

const TAG_ANSWER: &str = "Release core-utils {VERSION}\n\nChanges since {PREV_VERSION}:\n\n### Added\n\n- Settings for the deployment.\n";

#[test]
fn notes_llm_fills_the_tag_message_from_a_filtered_masked_diff() {
    let env = TestEnv::new();
    let root = env.demo();
    let server = llm_server(|_| TAG_ANSWER.to_owned());
    configure(&root, &server, "max_diff_bytes = 6000\n");
    let core = pkg(&root, "core-utils");
    git(&core, &["tag", "-a", "-m", "0.1.0", "v0.1.0"]);
    let lock = lines(3000, |i| format!("lockline-{i} = \"x\""));
    commit_file(&core, "uv.lock", &lock, "build: lock");
    commit_file(
        &core,
        "src/core_utils/settings.py",
        &format!("import os\n\nGITHUB_TOKEN={PLANTED_TOKEN}\nTIMEOUT = 30\n"),
        "feat: settings",
    );
    commit_file(
        &core,
        "deploy/id_ed25519",
        &format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{PLANTED_KEY_BODY}\nQyNTUxOQAAACBPLANTEDKEYBODY2\n-----END OPENSSH PRIVATE KEY-----\n"
        ),
        "chore: deploy key",
    );
    let big = lines(4000, |i| format!("ROW_{i} = {i}"));
    commit_file(&core, "src/core_utils/table.py", &big, "feat: a big table");

    let out = run_llm(&env, &root, &["-p", "core-utils", "notes", "--llm"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // The answer, below the marker of the release it is written for (after v0.1.0).
    let written = read(&changes(&root, "core-utils", "tag_message.md"));
    let (marker, answer) = written.split_once('\n').unwrap();
    assert!(
        marker.starts_with("<!-- release-tool: tag message of core-utils after v0.1.0, template "),
        "{written}"
    );
    assert_eq!(answer, TAG_ANSWER);
    assert!(
        stderr.contains("core-utils: tag message by test-model → release_tool/changes/core-utils/tag_message.md: Release core-utils {VERSION}"),
        "{stderr}"
    );
    assert!(
        stderr.contains("core-utils: the prompt leaves out uv.lock (lock file); masks"),
        "{stderr}"
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert!(
        request
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("release-tool/")),
        "{:?}",
        request.headers
    );
    let body = String::from_utf8(request.body.clone()).unwrap();
    let json = request.json().unwrap();
    assert_eq!(json["temperature"], 0.2);
    let user = user_prompt(request);
    assert!(!body.contains("lockline-"), "no lock-file diff");
    assert!(
        user.contains("the diff of uv.lock is left out (lock file)"),
        "{user}"
    );
    assert!(!body.contains(PLANTED_TOKEN), "planted token masked");
    assert!(user.contains("GITHUB_TOKEN=ghp_[MASKED]"), "{user}");
    assert!(
        !body.contains(PLANTED_KEY_BODY) && !body.contains("PLANTEDKEYBODY"),
        "key block masked"
    );
    assert!(
        user.contains(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n+[MASKED]\n+-----END OPENSSH PRIVATE KEY-----"
        ),
        "{user}"
    );
    assert!(
        user.contains("the diff of src/core_utils/table.py cut here"),
        "{user}"
    );
    // The material (log + diff) is within max_diff_bytes; the rest is the prompt's own text.
    let log_and_diff = user
        .split_once("The commit log:\n\n")
        .map(|(_, rest)| rest)
        .unwrap();
    assert!(log_and_diff.len() <= 6000 + 20, "{}", log_and_diff.len());
    assert!(body.len() < 6000 + 5000, "{}", body.len());
    assert!(user.contains("{VERSION}") && user.contains("{PREV_VERSION}"));

    // prompt.md holds the same prompt, ready to paste.
    let prompt = read(&root.join("release_tool/changes/prompt.md"));
    assert!(
        prompt.starts_with("# LLM prompts: tag messages\n"),
        "{prompt}"
    );
    assert!(prompt.contains("## core-utils → release_tool/changes/core-utils/tag_message.md"));
    assert!(prompt.contains(&user), "prompt.md has the prompt sent");
    assert!(!prompt.contains(PLANTED_TOKEN));
    assert_key_nowhere(&env, &[&out]);

    // Now the message is the model's (edited): a second run keeps it and asks nothing.
    let out = run_llm(&env, &root, &["-p", "core-utils", "notes", "--llm"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    assert!(
        outputs(&out)
            .1
            .contains("(edited message kept, no LLM request for it)"),
        "{}",
        outputs(&out).1
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn notes_llm_replaces_an_untouched_template_but_not_an_edited_one() {
    let env = TestEnv::new();
    let root = env.demo();
    let server = llm_server(|p| format!("Release {p} {{VERSION}}\n\n- Better.\n"));
    configure(&root, &server, "");
    // Templates written without --llm, then one of them edited.
    let out = env.run(&root, ["notes"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let edited = changes(&root, "model-api", "tag_message.md");
    std::fs::write(&edited, "Mine {VERSION}\n").unwrap();
    let out = run_llm(&env, &root, &["notes", "--llm", "-j", "3"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    for name in ["core-utils", "data-loader"] {
        let written = read(&changes(&root, name, "tag_message.md"));
        assert!(
            written.starts_with(&format!(
                "<!-- release-tool: tag message of {name} after no release, template "
            )),
            "{written}"
        );
        assert!(
            written.ends_with(&format!("-->\nRelease {name} {{VERSION}}\n\n- Better.\n")),
            "{written}"
        );
    }
    assert_eq!(read(&edited), "Mine {VERSION}\n");
    let mut asked: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            let user = user_prompt(r);
            ["core-utils", "data-loader", "model-api"]
                .into_iter()
                .find(|p| user.contains(&format!("`{p}`")))
                .unwrap()
                .to_owned()
        })
        .collect();
    asked.sort();
    assert_eq!(asked, ["core-utils", "data-loader"]);
    let prompt = read(&root.join("release_tool/changes/prompt.md"));
    assert!(
        prompt.contains(
            "Already written, so not asked for: release_tool/changes/model-api/tag_message.md."
        ),
        "{prompt}"
    );
    // The model's message is an edited message for the coming release: kept by `notes`...
    let out = env.run(&root, ["-p", "core-utils", "notes"]);
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        read(&changes(&root, "core-utils", "tag_message.md")).contains("- Better."),
        "{stderr}"
    );
    // ...and stale once a release was made after it: written anew, saying why.
    let core = pkg(&root, "core-utils");
    git(&core, &["tag", "-a", "-m", "0.1.0", "v0.1.0"]);
    commit_file(&core, "src/core_utils/more.py", "X = 1\n", "feat: more");
    let out = env.run(&root, ["-p", "core-utils", "notes"]);
    let (_, stderr) = outputs(&out);
    assert!(
        stderr.contains("written anew: it was written for the release of core-utils after its start, and v0.1.0 was released since"),
        "{stderr}"
    );
    assert!(!read(&changes(&root, "core-utils", "tag_message.md")).contains("- Better."));
}

#[test]
fn changes_llm_fills_empty_messages_and_keeps_written_ones() {
    let env = TestEnv::new();
    let root = env.demo();
    // The answer comes in a code fence, as chat models like to write it.
    let server = llm_server(|p| format!("```\nfeat: update {p}\n\nMore detail.\n```"));
    configure(&root, &server, "");
    dirty(&root, "core-utils", "\nANSWER = 42\n");
    dirty(&root, "data-loader", "\nLIMIT = 7\n");
    let kept = changes(&root, "data-loader", "commit_message.txt");
    std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
    std::fs::write(&kept, "fix: my own words\n").unwrap();

    let out = run_llm(&env, &root, &["changes", "--llm"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        read(&changes(&root, "core-utils", "commit_message.txt")),
        "feat: update core-utils\n\nMore detail.\n"
    );
    assert_eq!(read(&kept), "fix: my own words\n");
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "no request for the kept message");
    let user = user_prompt(&requests[0]);
    assert!(
        user.contains("uncommitted changes of `core-utils`"),
        "{user}"
    );
    assert!(user.contains("+ANSWER = 42"), "{user}");
    assert!(!user.contains("LIMIT = 7"), "{user}");
    assert!(
        stderr.contains("Kept the existing message in release_tool/changes/data-loader/commit_message.txt (no LLM request for it)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("core-utils: commit message by test-model → release_tool/changes/core-utils/commit_message.txt: feat: update core-utils"),
        "{stderr}"
    );
    let prompt = read(&root.join("release_tool/changes/prompt.md"));
    assert!(prompt.contains("## core-utils → release_tool/changes/core-utils/commit_message.txt"));
    assert!(!prompt.contains("## data-loader"), "{prompt}");
    assert_key_nowhere(&env, &[&out]);

    // The generated message commits like a hand-written one.
    let out = env.run(&root, ["commit", "-p", "core-utils"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    assert_eq!(
        git(&pkg(&root, "core-utils"), &["log", "-1", "--format=%B"]).trim_end(),
        "feat: update core-utils\n\nMore detail."
    );
}

#[test]
fn dry_run_llm_sends_nothing_and_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let server = llm_server(|_| "feat: x".to_owned());
    configure(&root, &server, "");
    dirty(&root, "core-utils", "\nANSWER = 42\n");
    let before = snapshot_tree(&env.path());
    let out = run_llm(&env, &root, &["changes", "--llm", "--dry-run"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let planned = format!(
        "core-utils: llm POST {}/v1/chat/completions (model test-model, ",
        server.url
    );
    assert!(stdout.contains(&planned), "{stdout}");
    // The model call is a step, right after the write of the file it fills.
    let steps: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("    ")).collect();
    let create = steps
        .iter()
        .position(|l| *l == "core-utils: create release_tool/changes/core-utils/commit_message.txt")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        steps[create + 1].starts_with(&planned)
            && steps[create + 1]
                .ends_with("-byte prompt) → release_tool/changes/core-utils/commit_message.txt"),
        "{stdout}"
    );
    assert!(
        stdout.contains("root: create release_tool/changes/prompt.md"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 of them LLM request; nothing sent, nothing changed"),
        "{stderr}"
    );

    // notes, with --json: the LLM request is a step of its own.
    let json_out = run_llm(
        &env,
        &root,
        &["notes", "--llm", "--dry-run", "--json", "-p", "core-utils"],
    );
    assert!(json_out.status.success(), "{}", outputs(&json_out).1);
    let steps: Value = crate::support::json_doc(&json_out.stdout)["steps"].clone();
    let llm_steps: Vec<&Value> = steps
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "llm")
        .collect();
    assert_eq!(llm_steps.len(), 1, "{steps:#}");
    assert_eq!(llm_steps[0]["package"], "core-utils");
    let detail = llm_steps[0]["detail"].as_str().unwrap();
    assert!(
        detail.ends_with("→ release_tool/changes/core-utils/tag_message.md"),
        "{detail}"
    );
    let mut settings = env.insta_settings();
    settings.add_filter(&regex_escape(&server.url), "[LLM]");
    settings.add_filter(r"\d+-byte prompt", "[N]-byte prompt");
    settings.bind(|| insta::assert_json_snapshot!("notes_llm_dry_run_json", steps));

    // Without a key, a dry run still works and warns.
    let no_key = env.run(&root, ["changes", "--llm", "--dry-run"]);
    assert!(no_key.status.success(), "{}", outputs(&no_key).1);
    assert!(
        outputs(&no_key).1.contains(
            "OPENAI_API_KEY (llm.api_key_env) is not set or empty: a real run would stop here"
        ),
        "{}",
        outputs(&no_key).1
    );

    assert!(server.requests().is_empty(), "no request");
    assert_eq!(before, snapshot_tree(&env.path()), "nothing changed");
    assert_key_nowhere(&env, &[&out, &json_out, &no_key]);
}

#[test]
fn server_errors_and_rate_limits_are_retried() {
    let env = TestEnv::new();
    let root = env.demo();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let server = FakeServer::start(move |request| {
        if let Err(response) = check(request) {
            return response;
        }
        match counter.fetch_add(1, Ordering::SeqCst) {
            0 => Response::json(
                500,
                &json!({"error": {"message": "The server had an error"}}),
            ),
            1 => Response::json(429, &json!({"error": {"message": "Rate limit reached"}}))
                .with_header("Retry-After", "1"),
            _ => completion("fix: retry until it works"),
        }
    });
    configure(&root, &server, "");
    dirty(&root, "core-utils", "\nANSWER = 42\n");
    let started = std::time::Instant::now();
    let out = run_llm(&env, &root, &["-p", "core-utils", "changes", "--llm"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(server.requests().len(), 3);
    assert_eq!(
        read(&changes(&root, "core-utils", "commit_message.txt")),
        "fix: retry until it works\n"
    );
    assert!(
        stderr.contains(
            "core-utils: the LLM endpoint answered 500 Internal Server Error; retrying in"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("answered 429 Too Many Requests; retrying in 200 ms (attempt 3 of 4)"),
        "Retry-After honoured up to the cap: {stderr}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_rejected_key_names_the_variable_and_endpoint_but_never_the_key() {
    let env = TestEnv::new();
    let root = env.demo();
    // A careless server that echoes the key in its error.
    let server = FakeServer::start(|request| {
        let sent = request.header("authorization").unwrap_or("").to_owned();
        Response::json(
            401,
            &json!({"error": {"message": format!("Incorrect API key provided: {sent}")}}),
        )
    });
    configure(&root, &server, "");
    dirty(&root, "core-utils", "\nANSWER = 42\n");
    dirty(&root, "data-loader", "\nLIMIT = 7\n");
    let out = env
        .cmd(&root)
        .env("OPENAI_API_KEY", KEY)
        .env("RELEASE_TOOL_LOG", "trace")
        .args(["-j", "1", "-vv", "changes", "--llm"])
        .output()
        .unwrap();
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    let endpoint = format!("{}/v1/chat/completions", server.url);
    assert!(
        stderr.contains(&format!(
            "error: LLM request for core-utils failed: POST {endpoint} answered 401 Unauthorized: the API key in OPENAI_API_KEY was rejected"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: check the key in OPENAI_API_KEY"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Not asked after the error below: data-loader"),
        "{stderr}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "no request after a rejected key"
    );
    // The change files and prompt.md are written; the messages stay empty.
    assert!(changes(&root, "core-utils", "changes_uncommitted.txt").is_file());
    assert_eq!(
        read(&changes(&root, "core-utils", "commit_message.txt")),
        ""
    );
    assert!(root.join("release_tool/changes/prompt.md").is_file());
    assert_key_nowhere(&env, &[&out]);
}

#[test]
fn a_missing_key_is_a_usage_error_and_changes_nothing() {
    let env = TestEnv::new();
    let root = env.demo();
    let server = llm_server(|_| "feat: x".to_owned());
    configure(&root, &server, "api_key_env = \"MY_LLM_KEY\"\n");
    dirty(&root, "core-utils", "\nANSWER = 42\n");
    let before = snapshot_tree(&env.path());
    for args in [&["changes", "--llm"][..], &["notes", "--llm"][..]] {
        let out = env
            .cmd(&root)
            .env("OPENAI_API_KEY", KEY)
            .args(args)
            .output()
            .unwrap();
        let (stdout, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("error: No API key for the LLM: the environment variable MY_LLM_KEY (llm.api_key_env) is not set or empty"),
            "{stderr}"
        );
        assert!(
            stderr.contains("hint: export MY_LLM_KEY=<your key>"),
            "{stderr}"
        );
        assert_eq!(
            before,
            snapshot_tree(&env.path()),
            "{args:?}: nothing changed"
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn prompt_md_without_llm_and_user_templates() {
    let env = TestEnv::new();
    let root = env.demo();
    let server = llm_server(|p| format!("chore: {p}"));
    configure(&root, &server, "");
    dirty(
        &root,
        "core-utils",
        &format!("\nTOKEN = \"{PLANTED_TOKEN}\"\n"),
    );
    // Without --llm: prompt.md is written (masked), no request is made.
    let out = env.run(&root, ["changes"]);
    let (_, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let prompt_file = root.join("release_tool/changes/prompt.md");
    let prompt = read(&prompt_file);
    assert!(prompt.contains("## core-utils → release_tool/changes/core-utils/commit_message.txt\n\n```text\nYou are a senior software engineer"), "{prompt}");
    assert!(prompt.contains("TOKEN = \"ghp_[MASKED]\""), "{prompt}");
    assert!(!prompt.contains(PLANTED_TOKEN));
    assert!(
        stderr.contains("or paste release_tool/changes/prompt.md into a chat"),
        "{stderr}"
    );
    assert!(server.requests().is_empty());

    // A user template replaces the built-in one, in prompt.md and in the request.
    let dir = root.join("release_tool/prompts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("commit_message.j2"),
        "One line for `{{ package }}` on {{ branch }}{% if omitted %} without {{ omitted | map(attribute='path') | join(', ') }}{% endif %}:\n{{ changes }}",
    )
    .unwrap();
    let out = run_llm(&env, &root, &["changes", "--llm"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let user = user_prompt(&server.requests()[0]);
    assert!(
        user.starts_with("One line for `core-utils` on main:\n# Uncommitted changes in core-utils"),
        "{user}"
    );
    assert_eq!(
        read(&changes(&root, "core-utils", "commit_message.txt")),
        "chore: core-utils\n"
    );

    // A broken template: --llm stops before anything changes; without --llm it is a warning.
    std::fs::write(dir.join("system.j2"), "{% if %}").unwrap();
    std::fs::write(changes(&root, "core-utils", "commit_message.txt"), "").unwrap();
    let before = snapshot_tree(&env.path());
    let out = run_llm(&env, &root, &["changes", "--llm"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        outputs(&out)
            .1
            .contains("error: Prompt template release_tool/prompts/system.j2:1: syntax error"),
        "{}",
        outputs(&out).1
    );
    assert_eq!(before, snapshot_tree(&env.path()));
    let out = env.run(&root, ["changes"]);
    assert!(out.status.success());
    assert!(
        outputs(&out).1.contains("warning: release_tool/changes/prompt.md not written: Prompt template release_tool/prompts/system.j2:1"),
        "{}",
        outputs(&out).1
    );
    assert_eq!(server.requests().len(), 1);

    // `clear` removes prompt.md and keeps the prompts directory.
    let out = env.run(&root, ["clear"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    assert!(!prompt_file.exists());
    assert!(dir.join("commit_message.j2").is_file());
}

#[test]
fn notes_write_the_products_combined_notes_as_a_file_and_into_the_prompt_bundle() {
    let env = TestEnv::new();
    let root = env.demo();
    let server =
        llm_server(|p| format!("Release {p} {{VERSION}}\n\n### Added\n\n- {p} is better.\n"));
    configure(&root, &server, "");
    let product_notes = root.join("release_tool/changes/product_notes.md");
    // Without --llm: the packages' templates, combined (headings one level down).
    let out = env.run(&root, ["notes"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let text = read(&product_notes);
    assert!(text.starts_with("# "), "{text}");
    assert!(
        text.contains("the combined notes of the coming release"),
        "{text}"
    );
    for name in ["core-utils", "data-loader", "model-api"] {
        assert!(text.contains(&format!("\n### {name}\n\n")), "{text}");
    }
    assert!(!text.contains("<!-- release-tool: tag message"), "{text}");
    // The prompt bundle carries them, for the chat.
    let prompt = read(&root.join("release_tool/changes/prompt.md"));
    assert!(
        prompt.contains("## The product's combined notes (release_tool/changes/product_notes.md)"),
        "{prompt}"
    );
    assert!(prompt.contains(text.trim_end()), "{prompt}");
    // With --llm: the model's answers are in the product's notes.
    let out = run_llm(&env, &root, &["notes", "--llm"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    let text = read(&product_notes);
    for name in ["core-utils", "data-loader", "model-api"] {
        assert!(
            text.contains(&format!(
                "### {name}\n\n#### Added\n\n- {name} is better.\n"
            )),
            "{text}"
        );
    }
    // `clear` removes it with prompt.md.
    let out = env.run(&root, ["clear"]);
    assert!(out.status.success(), "{}", outputs(&out).1);
    assert!(!product_notes.exists());
}

/// The package a request asks for, from the prompt's heading.
fn package_of(request: &Request) -> String {
    let user = user_prompt(request);
    ["core-utils", "data-loader", "model-api"]
        .into_iter()
        .find(|p| user.contains(&format!("`{p}`")))
        .unwrap_or("unknown")
        .to_owned()
}

/// Each model call is a step of the plan (shown by the dry run right after the write of its
/// file); a run killed after k of n calls keeps the k answers, and the same command asks only
/// for the n − k others (a message with text is kept, docs/llm.md).
#[test]
fn a_killed_llm_run_resumes_without_asking_the_model_again_for_done_calls() {
    let env = TestEnv::new();
    let root = env.demo();
    // The second request of the first run hangs until the run is killed.
    let hang = Arc::new(std::sync::atomic::AtomicBool::new(true));
    // The packages asked for, in the order the requests came (counted when they arrive: the
    // server records a request once it answered).
    let asked = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let server = {
        let hang = Arc::clone(&hang);
        let calls = Arc::clone(&calls);
        let asked = Arc::clone(&asked);
        FakeServer::start(move |request| {
            let body = match check(request) {
                Ok(body) => body,
                Err(response) => return response,
            };
            let package = package_of(request);
            asked.lock().unwrap().push(package.clone());
            if calls.fetch_add(1, Ordering::SeqCst) == 1 && hang.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_secs(8));
            }
            drop(body);
            completion(&format!("feat: update {package}"))
        })
    };
    configure(&root, &server, "");
    let names = ["core-utils", "data-loader", "model-api"];
    for name in names {
        dirty(&root, name, "\nANSWER = 42\n");
    }

    // The dry run: one `llm` step per package, right after the write of its message file.
    let out = run_llm(&env, &root, &["changes", "--llm", "--dry-run"]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let mut settings = env.insta_settings();
    settings.add_filter(&regex_escape(&server.url), "[LLM]");
    settings.add_filter(r"\d+-byte prompt", "[N]-byte prompt");
    let steps: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("    ")).collect();
    settings.bind(|| insta::assert_snapshot!("changes_llm_dry_run_steps", steps.join("\n")));
    assert!(asked.lock().unwrap().is_empty());

    // Killed while the second call waits for its answer.
    let mut child = env
        .cmd(&root)
        .env("OPENAI_API_KEY", KEY)
        .args(["changes", "--llm"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let answered = |name: &str| {
        std::fs::read_to_string(changes(&root, name, "commit_message.txt"))
            .is_ok_and(|t| t.starts_with("feat: update"))
    };
    let started = std::time::Instant::now();
    while calls.load(Ordering::SeqCst) < 2 {
        assert!(
            started.elapsed() < std::time::Duration::from_mins(1),
            "no second call"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    hang.store(false, Ordering::SeqCst);
    let done: Vec<&str> = names.iter().copied().filter(|n| answered(n)).collect();
    assert_eq!(done.len(), 1, "one call answered before the kill: {done:?}");
    let first = asked.lock().unwrap().len();
    assert_eq!(first, 2);
    assert_eq!(asked.lock().unwrap()[0], done[0]);

    // The same command again: only the calls not done are sent.
    let out = run_llm(&env, &root, &["changes", "--llm"]);
    let (stdout, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let again: Vec<String> = asked.lock().unwrap()[first..].to_vec();
    assert_eq!(again.len(), 2, "{again:?}\n{stderr}");
    assert!(!again.iter().any(|p| p == done[0]), "{again:?}");
    for name in names {
        assert_eq!(
            read(&changes(&root, name, "commit_message.txt")),
            format!("feat: update {name}\n"),
            "{name}"
        );
    }
    assert!(
        stderr.contains(&format!(
            "Kept the existing message in release_tool/changes/{}/commit_message.txt (no LLM request for it)",
            done[0]
        )),
        "{stderr}"
    );
}
