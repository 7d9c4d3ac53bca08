//! The forge client (`release_tool::forge`) against the fake GitHub / Gitea API: idempotent
//! releases and pull requests, headers, retries, and errors that never show the token.
//!
//! The commands that call the forge are wired in elsewhere; these tests call the library.

use std::time::{Duration, Instant};

use release_tool::config::{ForgeConfig, ForgeKind};
use release_tool::forge::{Client, ForgeAction, ForgeCall, ForgeOutcome, RetryPolicy};

use crate::support::fake_github::{FakeForge, Flavor};
use crate::support::http::Request;
use crate::support::openapi::Description;

/// Delays of a few ms: retries are exercised without slowing the suite.
const FAST: RetryPolicy = RetryPolicy {
    attempts: 4,
    base_delay: Duration::from_millis(2),
    max_wait: Duration::from_secs(5),
};

fn fast_client(forge: &FakeForge) -> Client {
    let kind = match forge.opts.flavor {
        Flavor::Github => ForgeKind::Github,
        Flavor::Gitea => ForgeKind::Gitea,
    };
    Client::new(kind, &forge.api_url(), "GITHUB_TOKEN", &forge.opts.token)
        .unwrap()
        .with_retry(FAST)
}

fn release(repo: &str, tag: &str, body: &str, prerelease: bool) -> ForgeCall {
    ForgeCall {
        repo: repo.to_owned(),
        action: ForgeAction::CreateRelease {
            tag: tag.to_owned(),
            name: format!("alpha {}", tag.trim_start_matches('v')),
            body: body.to_owned(),
            prerelease,
            latest: None,
        },
    }
}

fn pull(repo: &str, head: &str, base: &str) -> ForgeCall {
    ForgeCall {
        repo: repo.to_owned(),
        action: ForgeAction::OpenPullRequest {
            head: head.to_owned(),
            base: base.to_owned(),
            title: "Release alpha 0.2.0".to_owned(),
            body: "- feat: things".to_owned(),
        },
    }
}

fn created(outcome: ForgeOutcome) -> String {
    match outcome {
        ForgeOutcome::Created { url } => url,
        other => panic!("expected Created, got {other:?}"),
    }
}

fn existing(outcome: ForgeOutcome) -> String {
    match outcome {
        ForgeOutcome::Existing { url } => url,
        other => panic!("expected Existing, got {other:?}"),
    }
}

/// Every rendering of an error and its hint.
fn render(err: &anyhow::Error) -> String {
    let (_, hint) = release_tool::core::error::classify(err);
    format!(
        "{err}\n{err:#}\n{err:?}\nhint: {}",
        hint.unwrap_or_default()
    )
}

fn assert_github_headers(req: &Request, token: &str) {
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(req.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(req.header("x-github-api-version"), Some("2022-11-28"));
    let ua = req.header("user-agent").unwrap_or_default();
    assert_eq!(ua, format!("release-tool/{}", env!("CARGO_PKG_VERSION")));
    if req.method != "GET" {
        assert_eq!(req.header("content-type"), Some("application/json"));
    }
}

#[test]
fn release_is_created_then_updated_not_duplicated() {
    let forge = FakeForge::github().start();
    let client = fast_client(&forge);
    let url = created(
        client
            .execute(&release("acme/alpha", "v0.2.0", "first notes", false))
            .unwrap(),
    );
    assert_eq!(url, "https://github.test/acme/alpha/releases/tag/v0.2.0");
    let again = existing(
        client
            .execute(&release("acme/alpha", "v0.2.0", "better notes", false))
            .unwrap(),
    );
    assert_eq!(again, url);
    assert_eq!(
        forge.calls(),
        [
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "POST /repos/acme/alpha/releases",
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "PATCH /repos/acme/alpha/releases/1",
        ]
    );
    let requests = forge.requests();
    for req in &requests {
        assert_github_headers(req, &forge.opts.token);
    }
    assert_eq!(
        requests[1].json().unwrap(),
        serde_json::json!({"tag_name": "v0.2.0", "name": "alpha 0.2.0",
                           "body": "first notes", "prerelease": false})
    );
    let releases = forge.releases("acme/alpha");
    assert_eq!(releases.len(), 1, "{releases:?}");
    assert_eq!(releases[0]["body"], "better notes");
}

#[test]
fn prerelease_flag_is_sent_and_updated() {
    let forge = FakeForge::github().start();
    let client = fast_client(&forge);
    created(
        client
            .execute(&release("acme/alpha", "v0.2.0rc1", "rc", true))
            .unwrap(),
    );
    assert_eq!(forge.releases("acme/alpha")[0]["prerelease"], true);
    assert_eq!(forge.requests()[1].json().unwrap()["prerelease"], true);
    // Re-run as a final release of the same tag: the flag is patched.
    existing(
        client
            .execute(&release("acme/alpha", "v0.2.0rc1", "rc", false))
            .unwrap(),
    );
    assert_eq!(forge.releases("acme/alpha")[0]["prerelease"], false);
    assert_eq!(
        forge.requests()[3].json().unwrap(),
        serde_json::json!({"name": "alpha 0.2.0rc1", "body": "rc", "prerelease": false})
    );
}

#[test]
fn release_created_meanwhile_is_updated() {
    // The first read misses a release someone else made: POST answers 422 already_exists,
    // and the client fetches and patches it.
    let forge = FakeForge::github().stale_reads(1).start();
    forge.seed_release("acme/alpha", "v0.2.0", "by hand");
    let client = fast_client(&forge);
    let url = existing(
        client
            .execute(&release("acme/alpha", "v0.2.0", "notes", false))
            .unwrap(),
    );
    assert_eq!(url, "https://github.test/acme/alpha/releases/tag/v0.2.0");
    assert_eq!(
        forge.calls(),
        [
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "POST /repos/acme/alpha/releases",
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "PATCH /repos/acme/alpha/releases/1",
        ]
    );
    let releases = forge.releases("acme/alpha");
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0]["body"], "notes");
    assert_eq!(releases[0]["name"], "alpha 0.2.0");
}

#[test]
fn tags_are_encoded_in_paths() {
    let forge = FakeForge::github().start();
    let client = fast_client(&forge);
    created(
        client
            .execute(&release("acme/alpha", "alpha/v1.0.0+local", "", false))
            .unwrap(),
    );
    assert_eq!(
        forge.calls()[0],
        "GET /repos/acme/alpha/releases/tags/alpha%2Fv1.0.0%2Blocal"
    );
    existing(
        client
            .execute(&release("acme/alpha", "alpha/v1.0.0+local", "", false))
            .unwrap(),
    );
    assert_eq!(forge.releases("acme/alpha").len(), 1);
}

#[test]
fn pull_request_is_created_then_reused() {
    let forge = FakeForge::github().start();
    let client = fast_client(&forge);
    let url = created(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    assert_eq!(url, "https://github.test/acme/alpha/pull/1");
    let again = existing(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    assert_eq!(again, url);
    let list =
        "GET /repos/acme/alpha/pulls?state=open&head=acme%3Adev_branch&base=main&per_page=100";
    assert_eq!(forge.calls(), [list, "POST /repos/acme/alpha/pulls", list]);
    let requests = forge.requests();
    for req in &requests {
        assert_github_headers(req, &forge.opts.token);
    }
    assert_eq!(
        requests[1].json().unwrap(),
        serde_json::json!({"title": "Release alpha 0.2.0", "head": "dev_branch",
                           "base": "main", "body": "- feat: things"})
    );
    assert_eq!(forge.pulls("acme/alpha").len(), 1);
    // Another base is another pull request.
    created(
        client
            .execute(&pull("acme/alpha", "dev_branch", "release"))
            .unwrap(),
    );
    assert_eq!(forge.pulls("acme/alpha").len(), 2);
}

#[test]
fn pull_request_opened_meanwhile_is_reused() {
    let forge = FakeForge::github().stale_reads(1).start();
    let seeded = forge.seed_pull("acme/alpha", "dev_branch", "main");
    let client = fast_client(&forge);
    let url = existing(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    assert_eq!(url, seeded["html_url"].as_str().unwrap());
    let methods: Vec<String> = forge.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["GET", "POST", "GET"]);
    assert_eq!(forge.pulls("acme/alpha").len(), 1);
}

#[test]
fn pull_request_without_commits_is_a_clear_error() {
    let forge = FakeForge::github().start();
    let client = fast_client(&forge);
    let err = client
        .execute(&pull("acme/alpha", "main", "main"))
        .unwrap_err();
    let text = render(&err);
    assert!(
        err.to_string().starts_with(
            "GitHub answered 422 Unprocessable Entity for POST /repos/acme/alpha/pulls at http://127.0.0.1:"
        ),
        "{text}"
    );
    assert!(text.contains("No commits between main and main"), "{text}");
    assert!(text.contains("both branches pushed"), "{text}");
}

#[test]
fn server_errors_are_retried() {
    let forge = FakeForge::github().fail_first(2, 500).start();
    let client = fast_client(&forge);
    let start = Instant::now();
    created(
        client
            .execute(&release("acme/alpha", "v0.2.0", "", false))
            .unwrap(),
    );
    let elapsed = start.elapsed();
    assert_eq!(
        forge.calls(),
        [
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "POST /repos/acme/alpha/releases",
        ]
    );
    // Backoff 2 ms then 4 ms.
    assert!(elapsed >= Duration::from_millis(6), "{elapsed:?}");
    assert_eq!(forge.releases("acme/alpha").len(), 1);
}

#[test]
fn server_errors_give_up_after_the_attempts() {
    let forge = FakeForge::github().fail_first(100, 502).start();
    let client = fast_client(&forge);
    let err = client
        .execute(&release("acme/alpha", "v0.2.0", "", false))
        .unwrap_err();
    assert_eq!(forge.requests().len(), 4);
    let text = render(&err);
    assert!(
        err.to_string()
            .contains("answered 502 Bad Gateway for GET /repos/acme/alpha/releases/tags/v0.2.0"),
        "{text}"
    );
    assert!(
        err.to_string()
            .contains("the server failed (after 4 attempts) (GitHub says: Server Error)"),
        "{text}"
    );
    assert!(text.contains("run the command again later"), "{text}");
}

#[test]
fn rate_limits_honour_retry_after() {
    // Retry-After: 1 is waited for (the backoff alone would be 2 ms).
    let forge = FakeForge::github()
        .fail_first(1, 429)
        .retry_after("1")
        .start();
    let client = fast_client(&forge);
    let start = Instant::now();
    created(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert_eq!(forge.requests().len(), 3);

    // Retry-After: 0 retries at once.
    let forge = FakeForge::github()
        .fail_first(2, 429)
        .retry_after("0")
        .start();
    let client = fast_client(&forge);
    created(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    assert_eq!(forge.requests().len(), 4);
}

/// `secs` from now as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), by the system's `date`.
fn http_date_in(secs: u64) -> String {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + secs;
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{at}"), "+%a, %d %b %Y %H:%M:%S GMT"])
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    // Two seconds from now as a date: waited for (at least 1 s, the date has whole seconds),
    // not the 2 ms backoff.
    let forge = FakeForge::github()
        .fail_first(1, 429)
        .retry_after(&http_date_in(2))
        .start();
    let client = fast_client(&forge);
    let start = Instant::now();
    created(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");

    // An hour from now: more than the client waits, refused at once with what was asked.
    let forge = FakeForge::github()
        .fail_first(1, 403)
        .retry_after(&http_date_in(3600))
        .start();
    let client = fast_client(&forge);
    let err = client
        .execute(&release("acme/alpha", "v0.2.0", "", false))
        .unwrap_err();
    assert_eq!(forge.requests().len(), 1);
    let text = err.to_string();
    assert!(
        text.contains("GitHub asks to wait 3600 s") || text.contains("GitHub asks to wait 3599 s"),
        "{text}"
    );
}

#[test]
fn secondary_rate_limit_is_retried_and_a_long_wait_refused() {
    let forge = FakeForge::github()
        .fail_first(1, 403)
        .retry_after("0")
        .start();
    let client = fast_client(&forge);
    created(
        client
            .execute(&release("acme/alpha", "v0.2.0", "", false))
            .unwrap(),
    );
    assert_eq!(forge.requests().len(), 3);

    // Asked to wait an hour: no waiting, a clear error at once.
    let forge = FakeForge::github()
        .fail_first(1, 403)
        .retry_after("3600")
        .start();
    let client = fast_client(&forge);
    let start = Instant::now();
    let err = client
        .execute(&release("acme/alpha", "v0.2.0", "", false))
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(forge.requests().len(), 1);
    let text = render(&err);
    assert!(
        err.to_string().contains(
            "the rate limit for the token in GITHUB_TOKEN is reached, and GitHub asks to wait 3600 s (more than the 5 s this tool waits)"
        ),
        "{text}"
    );
    assert!(text.contains("secondary rate limit"), "{text}");
}

#[test]
fn bad_credentials_name_the_variable_and_repo_never_the_token() {
    let forge = FakeForge::github().unauthorized().echo_auth().start();
    let client = fast_client(&forge);
    let err = client
        .execute(&release("acme/alpha", "v0.2.0", "", false))
        .unwrap_err();
    // 401 is not retried.
    assert_eq!(forge.requests().len(), 1);
    let text = render(&err);
    assert!(!text.contains(&forge.opts.token), "{text}");
    assert!(text.contains("Bearer ***"), "the echo is redacted: {text}");
    let expected = format!(
        "GitHub answered 401 Unauthorized for GET /repos/acme/alpha/releases/tags/v0.2.0 at {}: the token in GITHUB_TOKEN was rejected (GitHub says: Bad credentials (got \"Bearer ***\"))",
        forge.api_url()
    );
    assert_eq!(err.to_string(), expected);
    assert!(
        text.contains("Check that GITHUB_TOKEN holds a valid"),
        "{text}"
    );
    assert!(text.contains("may write to acme/alpha"), "{text}");
    assert_eq!(
        release_tool::core::error::classify(&err).0,
        release_tool::core::error::ExitKind::Failure
    );

    // A wrong token (not the one the server knows) is the same 401.
    let forge = FakeForge::github().start();
    let wrong = Client::new(
        ForgeKind::Github,
        &forge.api_url(),
        "GH_TOKEN",
        "ghp_wrongWRONGwrong",
    )
    .unwrap()
    .with_retry(FAST);
    let err = wrong
        .execute(&pull("acme/alpha", "dev_branch", "main"))
        .unwrap_err();
    let text = render(&err);
    assert!(
        text.contains("the token in GH_TOKEN was rejected"),
        "{text}"
    );
    assert!(!text.contains("ghp_wrongWRONGwrong"), "{text}");
}

#[test]
fn unknown_repository_is_a_clear_404() {
    let forge = FakeForge::github().repos(&["acme/alpha"]).start();
    let client = fast_client(&forge);
    let err = client
        .execute(&release("acme/gone", "v0.2.0", "", false))
        .unwrap_err();
    // The release lookup's 404 means "no release yet"; the create's 404 means no repo.
    assert_eq!(
        forge.calls(),
        [
            "GET /repos/acme/gone/releases/tags/v0.2.0",
            "POST /repos/acme/gone/releases",
        ]
    );
    let text = render(&err);
    assert!(
        err.to_string().contains(&format!(
            "GitHub answered 404 Not Found for POST /repos/acme/gone/releases at {0}: acme/gone was not found at {0}, or the token in GITHUB_TOKEN cannot see it",
            forge.api_url()
        )),
        "{text}"
    );
    assert!(text.contains("repository = \"owner/repo\""), "{text}");
    let err = client
        .execute(&pull("acme/gone", "dev_branch", "main"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("GET /repos/acme/gone/pulls?state=open"),
        "{err}"
    );
    assert!(err.to_string().contains("acme/gone was not found"), "{err}");
}

#[test]
fn unreachable_server_is_retried_then_named() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let api = format!("http://127.0.0.1:{port}");
    let client = Client::new(
        ForgeKind::Github,
        &api,
        "GITHUB_TOKEN",
        "ghp_unreachableSECRET",
    )
    .unwrap()
    .with_retry(FAST);
    let start = Instant::now();
    let err = client
        .execute(&release("acme/alpha", "v0.2.0", "", false))
        .unwrap_err();
    // Backoff 2 + 4 + 8 ms between the 4 attempts.
    assert!(start.elapsed() >= Duration::from_millis(14));
    let text = render(&err);
    assert!(
        err.to_string().starts_with(&format!(
            "Could not reach GitHub at {api} for GET /repos/acme/alpha/releases/tags/v0.2.0 after 4 attempts: "
        )),
        "{text}"
    );
    assert!(!text.contains("ghp_unreachableSECRET"), "{text}");
    assert!(text.contains("Check the network"), "{text}");
}

#[test]
fn github_enterprise_api_prefix() {
    let forge = FakeForge::github().prefix("/api/v3").start();
    // Through the configuration, the way the plan engine makes its client.
    let cfg = ForgeConfig {
        api_url: Some(format!("{}/", forge.api_url())),
        ..ForgeConfig::default()
    };
    let token = forge.opts.token.clone();
    let env = move |k: &str| (k == "GH_TOKEN").then(|| token.clone());
    let client = Client::from_config(&cfg, &env)
        .unwrap()
        .unwrap()
        .with_retry(FAST);
    assert_eq!(client.api_url, forge.api_url());
    created(
        client
            .execute(&release("acme/alpha", "v0.2.0", "", false))
            .unwrap(),
    );
    created(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    let paths: Vec<String> = forge.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths.len(), 4);
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/api/v3/repos/acme/alpha/")),
        "{paths:?}"
    );
    drop(client);

    // GITHUB_API_URL is the fallback when api_url is not configured.
    let token = forge.opts.token.clone();
    let api = forge.api_url();
    let env = move |k: &str| match k {
        "GITHUB_TOKEN" => Some(token.clone()),
        "GITHUB_API_URL" => Some(api.clone()),
        _ => None,
    };
    let client = Client::from_config(&ForgeConfig::default(), &env)
        .unwrap()
        .unwrap()
        .with_retry(FAST);
    existing(
        client
            .execute(&release("acme/alpha", "v0.2.0", "again", false))
            .unwrap(),
    );
    assert_eq!(forge.releases("acme/alpha")[0]["body"], "again");
}

#[test]
fn gitea_release_and_pull_request() {
    let forge = FakeForge::gitea().start();
    // The configured URL may leave out /api/v1: the client appends it.
    let cfg = ForgeConfig {
        kind: ForgeKind::Gitea,
        api_url: Some(forge.server.url.clone()),
        token_env: Some("GITEA_TOKEN".to_owned()),
        ..ForgeConfig::default()
    };
    let token = forge.opts.token.clone();
    let env = move |k: &str| (k == "GITEA_TOKEN").then(|| token.clone());
    let client = Client::from_config(&cfg, &env)
        .unwrap()
        .unwrap()
        .with_retry(FAST);
    assert_eq!(client.api_url, format!("{}/api/v1", forge.server.url));

    let url = created(
        client
            .execute(&release("acme/alpha", "v0.2.0", "notes", true))
            .unwrap(),
    );
    assert_eq!(url, "https://gitea.test/acme/alpha/releases/tag/v0.2.0");
    existing(
        client
            .execute(&release("acme/alpha", "v0.2.0", "new notes", false))
            .unwrap(),
    );
    let releases = forge.releases("acme/alpha");
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0]["body"], "new notes");
    assert_eq!(releases[0]["prerelease"], false);

    let url = created(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    assert_eq!(
        existing(
            client
                .execute(&pull("acme/alpha", "dev_branch", "main"))
                .unwrap()
        ),
        url
    );
    let list = "GET /repos/acme/alpha/pulls?state=open&limit=50&page=1";
    assert_eq!(
        forge.calls(),
        [
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "POST /repos/acme/alpha/releases",
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "PATCH /repos/acme/alpha/releases/1",
            list,
            "POST /repos/acme/alpha/pulls",
            list,
        ]
    );
    for req in forge.requests() {
        assert!(req.path.starts_with("/api/v1/repos/"), "{}", req.path);
        assert_eq!(
            req.header("authorization"),
            Some(format!("token {}", forge.opts.token).as_str())
        );
        assert_eq!(req.header("accept"), Some("application/json"));
        assert_eq!(req.header("x-github-api-version"), None);
        assert!(
            req.header("user-agent")
                .unwrap_or_default()
                .starts_with("release-tool/")
        );
    }
}

#[test]
fn gitea_pages_through_open_pull_requests_and_handles_conflicts() {
    let forge = FakeForge::gitea().start();
    for i in 0..60 {
        forge.seed_pull("acme/alpha", &format!("feature-{i}"), "main");
    }
    let target = forge.seed_pull("acme/alpha", "dev_branch", "main");
    let client = fast_client(&forge);
    let url = existing(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    assert_eq!(url, target["html_url"].as_str().unwrap());
    assert_eq!(
        forge.calls(),
        [
            "GET /repos/acme/alpha/pulls?state=open&limit=50&page=1",
            "GET /repos/acme/alpha/pulls?state=open&limit=50&page=2",
        ]
    );

    // Gitea answers a duplicate with 409: the client re-lists and reuses.
    let forge = FakeForge::gitea().stale_reads(1).start();
    forge.seed_pull("acme/alpha", "dev_branch", "main");
    forge.seed_release("acme/alpha", "v0.2.0", "by hand");
    let client = fast_client(&forge);
    existing(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    let forge_calls = forge.calls();
    assert_eq!(forge_calls.len(), 3, "{forge_calls:?}");
    assert_eq!(forge_calls[1], "POST /repos/acme/alpha/pulls");
    assert_eq!(forge.pulls("acme/alpha").len(), 1);
}

/// Gitea's list has no head filter: an open pull request past the 20th page (1,050 open ones
/// before it) is still found, not opened a second time.
#[test]
fn gitea_finds_an_open_pull_request_beyond_twenty_pages() {
    let forge = FakeForge::gitea().start();
    for i in 0..1_050 {
        forge.seed_pull("acme/alpha", &format!("feature-{i}"), "main");
    }
    let target = forge.seed_pull("acme/alpha", "dev_branch", "main");
    let client = fast_client(&forge);
    let url = existing(
        client
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    assert_eq!(url, target["html_url"].as_str().unwrap());
    let calls = forge.calls();
    assert_eq!(calls.len(), 22, "{calls:?}");
    assert_eq!(
        calls[21],
        "GET /repos/acme/alpha/pulls?state=open&limit=50&page=22"
    );
    assert_eq!(forge.pulls("acme/alpha").len(), 1_051);

    // None of them matches: every page is read (22, the last one short), then it is opened.
    let forge = FakeForge::gitea().start();
    for i in 0..1_050 {
        forge.seed_pull("acme/alpha", &format!("feature-{i}"), "main");
    }
    created(
        fast_client(&forge)
            .execute(&pull("acme/alpha", "dev_branch", "main"))
            .unwrap(),
    );
    let calls = forge.calls();
    assert_eq!(calls.len(), 23, "{calls:?}");
    assert_eq!(calls[22], "POST /repos/acme/alpha/pulls");
}

#[test]
fn gitea_release_conflict_is_updated() {
    let forge = FakeForge::gitea().stale_reads(1).start();
    forge.seed_release("acme/alpha", "v0.2.0", "by hand");
    let client = fast_client(&forge);
    existing(
        client
            .execute(&release("acme/alpha", "v0.2.0", "notes", false))
            .unwrap(),
    );
    assert_eq!(
        forge.calls(),
        [
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "POST /repos/acme/alpha/releases",
            "GET /repos/acme/alpha/releases/tags/v0.2.0",
            "PATCH /repos/acme/alpha/releases/1",
        ]
    );
    assert_eq!(forge.releases("acme/alpha")[0]["body"], "notes");
}

#[test]
fn gitea_bad_token_and_missing_repo() {
    let forge = FakeForge::gitea().repos(&["acme/alpha"]).start();
    let bad = Client::new(
        ForgeKind::Gitea,
        &forge.api_url(),
        "GITEA_TOKEN",
        "not-the-token-123",
    )
    .unwrap()
    .with_retry(FAST);
    let err = bad
        .execute(&release("acme/alpha", "v0.2.0", "", false))
        .unwrap_err();
    let text = render(&err);
    assert!(
        err.to_string()
            .starts_with("Gitea answered 401 Unauthorized"),
        "{text}"
    );
    assert!(
        text.contains("the token in GITEA_TOKEN was rejected"),
        "{text}"
    );
    assert!(text.contains("write:repository"), "{text}");
    assert!(!text.contains("not-the-token-123"), "{text}");
    drop(bad);
    let client = fast_client(&forge);
    let err = client
        .execute(&pull("acme/missing", "dev_branch", "main"))
        .unwrap_err();
    assert!(
        err.to_string().contains("acme/missing was not found"),
        "{err}"
    );
}

/// The fake is as strict as the real API, so the tests above prove something.
#[test]
fn fake_forge_is_strict() {
    // It sends requests GitHub refuses (a release without its tag_name) on purpose.
    let forge = FakeForge::github().unchecked().start();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent("selftest")
        .build()
        .into();
    let token = format!("Bearer {}", forge.opts.token);
    let url = |path: &str| format!("{}{path}", forge.api_url());
    let send = |path: &str, auth: &str, accept: &str, body: &serde_json::Value| {
        let mut resp = agent
            .post(url(path))
            .header("Authorization", auth)
            .header("Accept", accept)
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send_json(body)
            .unwrap();
        let status = resp.status().as_u16();
        let json: serde_json::Value = resp.body_mut().read_json().unwrap();
        (status, json)
    };
    let gh = "application/vnd.github+json";
    let ok = serde_json::json!({"tag_name": "v1"});
    assert_eq!(
        send("/repos/a/b/releases", "Bearer nope", gh, &ok),
        (
            401,
            serde_json::json!({"message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest"})
        )
    );
    assert_eq!(send("/repos/a/b/releases", &token, "*/*", &ok).0, 415);
    let (status, json) = send(
        "/repos/a/b/releases",
        &token,
        gh,
        &serde_json::json!({"name": "x"}),
    );
    assert_eq!(status, 422);
    assert_eq!(json["errors"][0]["field"], "tag_name");
    assert_eq!(json["errors"][0]["code"], "missing_field");
    assert_eq!(send("/repos/a/b/releases", &token, gh, &ok).0, 201);
    let (status, json) = send("/repos/a/b/releases", &token, gh, &ok);
    assert_eq!(status, 422);
    assert_eq!(json["errors"][0]["code"], "already_exists");
    let (status, json) = send(
        "/repos/a/b/pulls",
        &token,
        gh,
        &serde_json::json!({"head": "dev", "base": "main"}),
    );
    assert_eq!(
        (status, &json["errors"][0]["field"]),
        (422, &"title".into())
    );
    let pr = serde_json::json!({"head": "dev", "base": "main", "title": "t"});
    assert_eq!(send("/repos/a/b/pulls", &token, gh, &pr).0, 201);
    let (status, json) = send("/repos/a/b/pulls", &token, gh, &pr);
    assert_eq!(status, 422);
    assert_eq!(
        json["errors"][0]["message"],
        "A pull request already exists for a:dev."
    );
    // GitHub filters the list by head (owner:branch) and base.
    let list = |q: &str| -> usize {
        let mut resp = agent
            .get(url(&format!("/repos/a/b/pulls?{q}")))
            .header("Authorization", &token)
            .header("Accept", gh)
            .header("X-GitHub-Api-Version", "2022-11-28")
            .call()
            .unwrap();
        let json: serde_json::Value = resp.body_mut().read_json().unwrap();
        json.as_array().unwrap().len()
    };
    assert_eq!(list("state=open&head=a%3Adev&base=main"), 1);
    assert_eq!(list("state=open&head=a%3Aother&base=main"), 0);
    assert_eq!(list("state=open&head=a%3Adev&base=release"), 0);
}

/// GitHub's `OpenAPI` description (`@octokit/openapi`) refuses what GitHub would: an unknown path,
/// a method the path does not have, an undocumented or ill-typed query parameter, a path
/// parameter of the wrong type, a body of the wrong type or without a required field; it
/// accepts the requests the client makes (api.github.com and GitHub Enterprise Server alike).
#[test]
fn openapi_description_refuses_requests_that_break_githubs_contract() {
    let json = Some("application/json");
    for d in [Description::GithubCom, Description::Ghes] {
        let ok = |method: &str, path: &str, body: &str| {
            let ct = (!body.is_empty()).then_some("application/json");
            let problems = d.check(method, path, ct, body.as_bytes());
            assert!(problems.is_empty(), "{d:?} {method} {path}: {problems:?}");
        };
        ok(
            "GET",
            "/repos/acme/alpha/releases/tags/alpha%2Fv1.0%2Blocal",
            "",
        );
        ok(
            "POST",
            "/repos/acme/alpha/releases",
            r#"{"tag_name":"v1","name":"a 1","body":"","prerelease":false}"#,
        );
        ok(
            "PATCH",
            "/repos/acme/alpha/releases/7",
            r#"{"name":"a 1","prerelease":true}"#,
        );
        ok(
            "GET",
            "/repos/acme/alpha/pulls?state=open&head=acme%3Adev&base=main&per_page=100",
            "",
        );
        ok(
            "POST",
            "/repos/acme/alpha/pulls",
            r#"{"title":"t","head":"dev","base":"main","body":"b"}"#,
        );
    }
    let d = Description::GithubCom;
    let one = |method: &str, path: &str, body: &str| {
        let ct = (!body.is_empty()).then_some("application/json");
        let problems = d.check(method, path, ct, body.as_bytes());
        assert_eq!(problems.len(), 1, "{method} {path}: {problems:?}");
        problems.into_iter().next().unwrap()
    };
    assert_eq!(
        one("GET", "/repos/acme/alpha/pulls?state=open&head_ref=dev", ""),
        "GET /repos/{owner}/{repo}/pulls: query parameter `head_ref` is not documented \
         (documented: base, direction, head, page, per_page, sort, state)"
    );
    assert!(
        one("GET", "/repos/acme/alpha/pulls?state=opened", "")
            .starts_with("GET /repos/{owner}/{repo}/pulls: query parameter `state` = \"opened\": "),
    );
    assert_eq!(
        one("GET", "/repos/acme/alpha/pulls?per_page=lots", ""),
        "GET /repos/{owner}/{repo}/pulls: query parameter `per_page` = \"lots\": not an integer"
    );
    assert_eq!(
        one(
            "POST",
            "/repos/acme/alpha/releases",
            r#"{"tag_name":"v1","prerelease":"yes"}"#
        ),
        "POST /repos/{owner}/{repo}/releases: body at /prerelease: \"yes\" is not of type \"boolean\""
    );
    assert!(
        one("POST", "/repos/acme/alpha/releases", r#"{"name":"no tag"}"#)
            .contains("\"tag_name\" is a required property"),
    );
    assert_eq!(
        one(
            "PATCH",
            "/repos/acme/alpha/releases/v1.0",
            r#"{"name":"x"}"#
        ),
        "PATCH /repos/{owner}/{repo}/releases/{release_id}: path parameter `release_id` = \"v1.0\": not an integer"
    );
    assert_eq!(
        one("PUT", "/repos/acme/alpha/releases", r#"{"tag_name":"v1"}"#),
        "PUT is not documented for /repos/{owner}/{repo}/releases (documented: GET, POST)"
    );
    assert_eq!(
        one("GET", "/repos/acme/alpha/release/tags/v1", ""),
        "no documented path matches /repos/acme/alpha/release/tags/v1"
    );
    assert_eq!(
        one("GET", "/repos/acme/alpha/releases/tags/v1", r#"{"x":1}"#),
        "GET /repos/{owner}/{repo}/releases/tags/{tag}: takes no request body, got 7 bytes"
    );
    assert!(
        d.check("POST", "/repos/acme/alpha/releases", json, b"not json")[0]
            .contains("the body is not JSON")
    );

    // Through the fake: a wrong request is recorded, listed, and fails the test on drop.
    let forge = FakeForge::github().start();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent("selftest")
        .build()
        .into();
    let status = agent
        .get(format!(
            "{}/repos/acme/alpha/pulls?state=open&head_ref=dev",
            forge.api_url()
        ))
        .header("Authorization", &format!("Bearer {}", forge.opts.token))
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .call()
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 200, "the fake itself lets it through");
    assert_eq!(
        forge.contract_violations(),
        [
            "#1 GET /repos/acme/alpha/pulls?state=open&head_ref=dev: GET /repos/{owner}/{repo}/pulls: \
          query parameter `head_ref` is not documented (documented: base, direction, head, page, \
          per_page, sort, state)"
        ]
    );
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(forge)))
        .expect_err("dropping the fake fails the test");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    eprintln!("{message}");
    assert!(
        message.starts_with(
            "requests sent to the fake GitHub break GitHub's REST API description \
             (@octokit/openapi 23.0.2, api.github.com.json):\n#1 GET"
        ),
        "{message}"
    );
}
