//! A fake GitHub (or Gitea) REST API for the forge client, on [`FakeServer`].
//!
//! It answers the endpoints release-tool uses the way the real APIs do: it requires the auth
//! header (`Bearer <token>` for GitHub, `token <token>` for Gitea; 401 `Bad credentials`
//! otherwise), GitHub's `Accept`, `X-GitHub-Api-Version` and `User-Agent`, validates JSON bodies
//! (422 `Validation Failed` with GitHub's `errors[]`), keeps releases by tag (with ids) and open
//! pull requests per repository, and refuses duplicates (GitHub: 422 `already_exists` / "A pull
//! request already exists"; Gitea: 409). It can fail the first N requests (500, 429 or 403
//! with `Retry-After`), answer 401 to everything, know only some repositories (404 for the
//! others), pretend the first N reads see nothing (a create race), echo the auth header in
//! its error messages (redaction tests), and answer the first N requests late (each applied at
//! once, answered after a delay: past a client's timeout the answer is lost). Every request is recorded.
//!
//! In its GitHub flavour every recorded request is also checked against GitHub's own contract,
//! the official `OpenAPI` description ([`super::openapi`]: api.github.com's, or GitHub Enterprise
//! Server's under the `/api/v3` prefix): when the fake is dropped at the end of a test, a request
//! whose path, method, query parameters or JSON body the description does not allow fails that
//! test, whatever the fake answered. A test that sends wrong requests on purpose says so with
//! [`Builder::unchecked`].

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::http::{FakeServer, Request, Response};
use super::openapi::Description;

/// Which API the fake speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Github,
    Gitea,
}

/// How the fake behaves.
#[derive(Clone, Debug)]
pub struct Options {
    pub flavor: Flavor,
    /// Path prefix of the API: "" (api.github.com), "/api/v3" (GitHub Enterprise), "/api/v1"
    /// (Gitea).
    pub prefix: String,
    /// The one token accepted.
    pub token: String,
    /// Fail this many requests first, with `fail_status`.
    pub fail_first: usize,
    pub fail_status: u16,
    /// `Retry-After` on those failures.
    pub retry_after: Option<String>,
    /// Answer 401 to everything.
    pub unauthorized: bool,
    /// The repositories that exist (`None`: every one).
    pub repos: Option<Vec<String>>,
    /// The first N reads (release by tag, pull request list) see no releases / pull requests.
    pub stale_reads: usize,
    /// Put the received `Authorization` header in error messages.
    pub echo_auth: bool,
    /// Answer the first N requests whose method is `slow_method` (any method when `None`) only
    /// after `slow_delay`: the request takes effect at once, the answer comes late (past a
    /// client's timeout, the client never sees it).
    pub slow_first: usize,
    pub slow_method: Option<String>,
    pub slow_delay: std::time::Duration,
    /// Do not check the recorded requests against GitHub's `OpenAPI` description on drop (a test
    /// that sends wrong requests on purpose).
    pub unchecked: bool,
}

/// A builder: `FakeForge::github().fail_first(2, 500).start()`.
pub struct Builder(Options);

impl Builder {
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.0.prefix);
        self
    }

    pub fn token(mut self, token: &str) -> Self {
        token.clone_into(&mut self.0.token);
        self
    }

    pub fn fail_first(mut self, n: usize, status: u16) -> Self {
        self.0.fail_first = n;
        self.0.fail_status = status;
        self
    }

    pub fn retry_after(mut self, value: &str) -> Self {
        self.0.retry_after = Some(value.to_owned());
        self
    }

    pub fn unauthorized(mut self) -> Self {
        self.0.unauthorized = true;
        self
    }

    pub fn repos(mut self, repos: &[&str]) -> Self {
        self.0.repos = Some(repos.iter().map(|r| (*r).to_owned()).collect());
        self
    }

    pub fn stale_reads(mut self, n: usize) -> Self {
        self.0.stale_reads = n;
        self
    }

    pub fn echo_auth(mut self) -> Self {
        self.0.echo_auth = true;
        self
    }

    /// Answer the first `n` requests with `method` (`None`: any) after `delay`; each takes
    /// effect before the wait.
    pub fn slow(mut self, n: usize, method: Option<&str>, delay: std::time::Duration) -> Self {
        self.0.slow_first = n;
        self.0.slow_method = method.map(str::to_owned);
        self.0.slow_delay = delay;
        self
    }

    /// No contract check on drop: for a test that sends requests GitHub's description refuses
    /// on purpose.
    pub fn unchecked(mut self) -> Self {
        self.0.unchecked = true;
        self
    }

    pub fn start(self) -> FakeForge {
        let opts = self.0;
        let state = Arc::new(Mutex::new(State {
            stale_reads: opts.stale_reads,
            ..State::default()
        }));
        let server = {
            let state = Arc::clone(&state);
            let opts = opts.clone();
            FakeServer::start(move |req| {
                let (response, slow) = {
                    let mut state = state.lock().unwrap();
                    let response = handle(&opts, &mut state, req);
                    let matches = opts.slow_method.as_deref().is_none_or(|m| m == req.method);
                    let slow = matches && state.slowed < opts.slow_first;
                    if slow {
                        state.slowed += 1;
                    }
                    (response, slow)
                };
                // Outside the state lock: other connections are served meanwhile.
                if slow {
                    std::thread::sleep(opts.slow_delay);
                }
                response
            })
        };
        FakeForge {
            server,
            state,
            opts,
        }
    }
}

#[derive(Default)]
struct State {
    /// Releases per repository.
    releases: BTreeMap<String, Vec<Value>>,
    /// Pull requests per repository.
    pulls: BTreeMap<String, Vec<Value>>,
    /// Assets per release id.
    assets: BTreeMap<u64, Vec<Value>>,
    next_id: u64,
    failed: usize,
    stale_reads: usize,
    slowed: usize,
}

/// The running fake.
pub struct FakeForge {
    pub server: FakeServer,
    state: Arc<Mutex<State>>,
    pub opts: Options,
}

impl FakeForge {
    pub fn github() -> Builder {
        Builder(Options {
            flavor: Flavor::Github,
            prefix: String::new(),
            token: "ghp_FAKE0123456789abcdefSECRET".to_owned(),
            fail_first: 0,
            fail_status: 500,
            retry_after: None,
            unauthorized: false,
            repos: None,
            stale_reads: 0,
            echo_auth: false,
            slow_first: 0,
            slow_method: None,
            slow_delay: std::time::Duration::ZERO,
            unchecked: false,
        })
    }

    pub fn gitea() -> Builder {
        let mut b = Self::github()
            .prefix("/api/v1")
            .token("gitea0123456789abcdefSECRET");
        b.0.flavor = Flavor::Gitea;
        b
    }

    /// The API base to configure: server URL + prefix.
    pub fn api_url(&self) -> String {
        format!("{}{}", self.server.url, self.opts.prefix)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// `METHOD path` of every request, the prefix taken off (the query kept).
    pub fn calls(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| {
                let path = r.path.strip_prefix(&self.opts.prefix).unwrap_or(&r.path);
                format!("{} {path}", r.method)
            })
            .collect()
    }

    /// The description GitHub requests are checked against (`None` for Gitea, which is not
    /// GitHub).
    pub fn description(&self) -> Option<Description> {
        match self.opts.flavor {
            Flavor::Gitea => None,
            Flavor::Github if self.opts.prefix == "/api/v3" => Some(Description::Ghes),
            Flavor::Github => Some(Description::GithubCom),
        }
    }

    /// What breaks GitHub's contract in the requests recorded so far: one line per problem,
    /// `#<n> METHOD path: …` (n counts requests from 1). Empty for Gitea.
    pub fn contract_violations(&self) -> Vec<String> {
        let Some(description) = self.description() else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        for (i, req) in self.requests().iter().enumerate() {
            // GitHub Enterprise serves uploads under /api/uploads, the API under /api/v3.
            let path = req
                .path
                .strip_prefix(&self.opts.prefix)
                .or_else(|| req.path.strip_prefix("/api/uploads"))
                .unwrap_or(&req.path);
            for p in description.check(&req.method, path, req.header("content-type"), &req.body) {
                problems.push(format!("#{} {} {path}: {p}", i + 1, req.method));
            }
        }
        problems
    }

    /// The releases of `owner/repo`.
    pub fn releases(&self, repo: &str) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state.releases.get(repo).cloned().unwrap_or_default()
    }

    /// The assets of the release of `tag` on `owner/repo` (`name`, `size`, `content_type`,
    /// `sha256` of what was uploaded).
    pub fn assets(&self, repo: &str, tag: &str) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        let id = state
            .releases
            .get(repo)
            .and_then(|rs| rs.iter().find(|r| r["tag_name"] == tag))
            .and_then(|r| r["id"].as_u64());
        id.and_then(|id| state.assets.get(&id).cloned())
            .unwrap_or_default()
    }

    /// Add an asset to the release of `tag` on `owner/repo`, as if uploaded by someone else
    /// (`starter`: an upload that never finished, as GitHub keeps it).
    pub fn seed_asset(&self, repo: &str, tag: &str, name: &str, size: u64, starter: bool) {
        let mut state = self.state.lock().unwrap();
        let id = state
            .releases
            .get(repo)
            .and_then(|rs| rs.iter().find(|r| r["tag_name"] == tag))
            .and_then(|r| r["id"].as_u64())
            .expect("a release to seed the asset on");
        state.next_id += 1;
        let asset = json!({"id": state.next_id, "name": name, "size": size,
            "state": if starter { "starter" } else { "uploaded" },
            "content_type": "application/octet-stream", "sha256": ""});
        state.assets.entry(id).or_default().push(asset);
    }

    /// The uploads received (`POST …/assets?name=…`), as `name` each.
    pub fn uploads(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.contains("/assets?"))
            .filter_map(|r| {
                let q = r.path.split_once('?')?.1;
                query(q).get("name").cloned()
            })
            .collect()
    }

    /// The pull requests of `owner/repo`.
    pub fn pulls(&self, repo: &str) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state.pulls.get(repo).cloned().unwrap_or_default()
    }

    /// Add a release as if made by someone else.
    pub fn seed_release(&self, repo: &str, tag: &str, name: &str) -> Value {
        let mut state = self.state.lock().unwrap();
        let release = new_release(self.opts.flavor, &mut state, repo, tag, name, "", false);
        state
            .releases
            .entry(repo.to_owned())
            .or_default()
            .push(release.clone());
        release
    }

    /// Add an open pull request as if made by someone else.
    pub fn seed_pull(&self, repo: &str, head: &str, base: &str) -> Value {
        let mut state = self.state.lock().unwrap();
        let pull = new_pull(self.opts.flavor, &mut state, repo, head, base, "seeded", "");
        state
            .pulls
            .entry(repo.to_owned())
            .or_default()
            .push(pull.clone());
        pull
    }
}

impl Drop for FakeForge {
    /// Every recorded request is checked against GitHub's `OpenAPI` description: a request that
    /// breaks it fails the test that made it (unless the test already failed).
    fn drop(&mut self) {
        if self.opts.unchecked || std::thread::panicking() {
            return;
        }
        let problems = self.contract_violations();
        assert!(
            problems.is_empty(),
            "requests sent to the fake GitHub break {}:\n{}",
            self.description()
                .map(Description::name)
                .unwrap_or_default(),
            problems.join("\n")
        );
    }
}

fn html_host(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Github => "https://github.test",
        Flavor::Gitea => "https://gitea.test",
    }
}

fn new_release(
    flavor: Flavor,
    state: &mut State,
    repo: &str,
    tag: &str,
    name: &str,
    body: &str,
    prerelease: bool,
) -> Value {
    state.next_id += 1;
    json!({
        "id": state.next_id,
        "upload_url": "",
        "assets": [],
        "tag_name": tag,
        "name": name,
        "body": body,
        "prerelease": prerelease,
        "draft": false,
        "html_url": format!("{}/{repo}/releases/tag/{tag}", html_host(flavor)),
    })
}

fn new_pull(
    flavor: Flavor,
    state: &mut State,
    repo: &str,
    head: &str,
    base: &str,
    title: &str,
    body: &str,
) -> Value {
    state.next_id += 1;
    let number = state.next_id;
    let repo_owner = repo.split('/').next().unwrap_or_default();
    let (owner, branch) = head.split_once(':').unwrap_or((repo_owner, head));
    let label = match flavor {
        Flavor::Github => format!("{owner}:{branch}"),
        Flavor::Gitea => branch.to_owned(),
    };
    json!({
        "number": number,
        "state": "open",
        "title": title,
        "body": body,
        "html_url": format!("{}/{repo}/pull/{number}", html_host(flavor)),
        "head": {"ref": branch, "label": label, "repo": {"owner": {"login": owner}}},
        "base": {"ref": base},
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(&v.replace('+', " ")))
        })
        .collect()
}

fn not_found() -> Response {
    Response::json(
        404,
        &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

fn invalid(resource: &str, field: &str, code: &str) -> Response {
    Response::json(
        422,
        &json!({"message": "Validation Failed",
                "errors": [{"resource": resource, "code": code, "field": field}],
                "documentation_url": "https://docs.github.com/rest", "status": "422"}),
    )
}

fn custom_invalid(resource: &str, message: &str) -> Response {
    Response::json(
        422,
        &json!({"message": "Validation Failed",
                "errors": [{"resource": resource, "code": "custom", "message": message}],
                "documentation_url": "https://docs.github.com/rest", "status": "422"}),
    )
}

/// A required non-empty string field of a JSON body.
fn field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn handle(opts: &Options, state: &mut State, req: &Request) -> Response {
    if state.failed < opts.fail_first {
        state.failed += 1;
        let message = match opts.fail_status {
            429 => "API rate limit exceeded",
            403 => {
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            }
            _ => "Server Error",
        };
        let mut resp = Response::json(opts.fail_status, &json!({ "message": message }));
        if let Some(after) = &opts.retry_after {
            resp = resp.with_header("Retry-After", after);
        }
        return resp;
    }
    let expected = match opts.flavor {
        Flavor::Github => format!("Bearer {}", opts.token),
        Flavor::Gitea => format!("token {}", opts.token),
    };
    if opts.unauthorized || req.header("authorization") != Some(expected.as_str()) {
        let message = if opts.echo_auth {
            format!(
                "Bad credentials (got {:?})",
                req.header("authorization").unwrap_or_default()
            )
        } else {
            "Bad credentials".to_owned()
        };
        return Response::json(
            401,
            &json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
        );
    }
    if req.header("user-agent").is_none_or(str::is_empty) {
        return Response::json(
            403,
            &json!({"message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header"}),
        );
    }
    if opts.flavor == Flavor::Github {
        if req.header("accept") != Some("application/vnd.github+json") {
            return Response::json(
                415,
                &json!({"message": "fake: Accept must be application/vnd.github+json"}),
            );
        }
        if req.header("x-github-api-version") != Some("2022-11-28") {
            return Response::json(
                400,
                &json!({"message": "fake: X-GitHub-Api-Version must be 2022-11-28"}),
            );
        }
    } else if !req.header("accept").is_some_and(|a| a.contains("json")) {
        return Response::json(415, &json!({"message": "fake: Accept must be JSON"}));
    }
    // GitHub Enterprise takes uploads under /api/uploads (GitHub under uploads.github.com,
    // here the same server).
    let uploads = if opts.flavor == Flavor::Github && opts.prefix == "/api/v3" {
        "/api/uploads"
    } else {
        opts.prefix.as_str()
    };
    let Some(rest) = req
        .path
        .strip_prefix(&opts.prefix)
        .or_else(|| req.path.strip_prefix(uploads))
    else {
        return not_found();
    };
    let (path, q) = rest.split_once('?').unwrap_or((rest, ""));
    let segments: Vec<String> = path.split('/').skip(1).map(percent_decode).collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let ["repos", owner, name, tail @ ..] = segs.as_slice() else {
        return not_found();
    };
    let repo = format!("{owner}/{name}");
    if opts
        .repos
        .as_ref()
        .is_some_and(|known| !known.contains(&repo))
    {
        return not_found();
    }
    let upload =
        req.method == "POST" && tail.len() == 3 && tail[0] == "releases" && tail[2] == "assets";
    let body = if upload {
        Value::Null
    } else if matches!(req.method.as_str(), "POST" | "PATCH") {
        if !req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
        {
            return Response::json(
                415,
                &json!({"message": "fake: Content-Type must be application/json"}),
            );
        }
        match req.json() {
            Some(v @ Value::Object(_)) => v,
            _ => return Response::json(400, &json!({"message": "Problems parsing JSON"})),
        }
    } else {
        Value::Null
    };
    match (req.method.as_str(), tail) {
        ("GET", ["releases", "tags", tag]) => {
            if state.stale_reads > 0 {
                state.stale_reads -= 1;
                return not_found();
            }
            let found = state
                .releases
                .get(&repo)
                .and_then(|rs| rs.iter().find(|r| r["tag_name"] == *tag).cloned());
            found.map_or_else(not_found, |r| {
                Response::json(200, &shown_release(state, req, uploads, &repo, r))
            })
        }
        ("POST", ["releases"]) => {
            let Some(tag) = field(&body, "tag_name") else {
                return invalid("Release", "tag_name", "missing_field");
            };
            if body.get("prerelease").is_some_and(|p| !p.is_boolean()) {
                return invalid("Release", "prerelease", "invalid");
            }
            let exists = state
                .releases
                .get(&repo)
                .is_some_and(|rs| rs.iter().any(|r| r["tag_name"] == tag));
            if exists {
                return match opts.flavor {
                    Flavor::Github => invalid("Release", "tag_name", "already_exists"),
                    Flavor::Gitea => {
                        Response::json(409, &json!({"message": "Release is already exist"}))
                    }
                };
            }
            let release = new_release(
                opts.flavor,
                state,
                &repo,
                tag,
                field(&body, "name").unwrap_or(tag),
                body.get("body").and_then(Value::as_str).unwrap_or_default(),
                body.get("prerelease")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            );
            state
                .releases
                .entry(repo.clone())
                .or_default()
                .push(release.clone());
            Response::json(201, &shown_release(state, req, uploads, &repo, release))
        }
        ("PATCH", ["releases", id]) => {
            let Some(release) = state.releases.get_mut(&repo).and_then(|rs| {
                rs.iter_mut()
                    .find(|r| r["id"].as_u64().is_some_and(|i| i.to_string() == *id))
            }) else {
                return not_found();
            };
            for key in ["name", "body", "prerelease", "tag_name", "draft"] {
                if let Some(v) = body.get(key) {
                    release[key] = v.clone();
                }
            }
            Response::json(200, release)
        }
        ("GET", ["pulls"]) => {
            let q = query(q);
            let open: Vec<Value> = if state.stale_reads > 0 {
                state.stale_reads -= 1;
                Vec::new()
            } else {
                state
                    .pulls
                    .get(&repo)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| {
                        q.get("state")
                            .is_none_or(|s| s == "all" || p["state"] == *s)
                    })
                    .collect()
            };
            match opts.flavor {
                Flavor::Github => {
                    let list: Vec<Value> = open
                        .into_iter()
                        .filter(|p| q.get("head").is_none_or(|h| p["head"]["label"] == *h))
                        .filter(|p| q.get("base").is_none_or(|b| p["base"]["ref"] == *b))
                        .take(q.get("per_page").and_then(|n| n.parse().ok()).unwrap_or(30))
                        .collect();
                    Response::json(200, &Value::Array(list))
                }
                Flavor::Gitea => {
                    // Gitea pages (limit/page) and leaves head/base filtering to the client.
                    let limit: usize = q
                        .get("limit")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(30)
                        .min(50);
                    let page: usize = q.get("page").and_then(|n| n.parse().ok()).unwrap_or(1);
                    let list: Vec<Value> = open
                        .into_iter()
                        .skip((page.max(1) - 1) * limit)
                        .take(limit)
                        .collect();
                    Response::json(200, &Value::Array(list))
                }
            }
        }
        ("POST", ["pulls"]) => {
            for key in ["head", "base", "title"] {
                if field(&body, key).is_none() {
                    return invalid("PullRequest", key, "missing_field");
                }
            }
            let (head, base, title) = (
                field(&body, "head").unwrap_or_default(),
                field(&body, "base").unwrap_or_default(),
                field(&body, "title").unwrap_or_default(),
            );
            let branch = head.split_once(':').map_or(head, |(_, b)| b);
            if branch == base {
                return custom_invalid(
                    "PullRequest",
                    &format!("No commits between {base} and {head}"),
                );
            }
            let exists = state.pulls.get(&repo).is_some_and(|ps| {
                ps.iter().any(|p| {
                    p["state"] == "open" && p["head"]["ref"] == branch && p["base"]["ref"] == base
                })
            });
            if exists {
                return match opts.flavor {
                    Flavor::Github => custom_invalid(
                        "PullRequest",
                        &format!(
                            "A pull request already exists for {}:{branch}.",
                            repo.split('/').next().unwrap_or_default()
                        ),
                    ),
                    Flavor::Gitea => Response::json(
                        409,
                        &json!({"message": format!(
                            "pull request already exists for these targets [head_branch: {branch}, base_branch: {base}]"
                        )}),
                    ),
                };
            }
            let pull = new_pull(
                opts.flavor,
                state,
                &repo,
                head,
                base,
                title,
                body.get("body").and_then(Value::as_str).unwrap_or_default(),
            );
            state.pulls.entry(repo).or_default().push(pull.clone());
            Response::json(201, &pull)
        }
        ("GET", ["releases", id, "assets"]) => {
            let Some(id) = release_id(state, &repo, id) else {
                return not_found();
            };
            let all = state.assets.get(&id).cloned().unwrap_or_default();
            let q = query(q);
            let list: Vec<Value> = match opts.flavor {
                Flavor::Github => {
                    let per_page: usize = q
                        .get("per_page")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(30)
                        .min(100);
                    let page: usize = q.get("page").and_then(|n| n.parse().ok()).unwrap_or(1);
                    all.into_iter()
                        .skip((page.max(1) - 1) * per_page)
                        .take(per_page)
                        .collect()
                }
                Flavor::Gitea => all,
            };
            Response::json(200, &Value::Array(list))
        }
        ("POST", ["releases", id, "assets"]) => {
            let Some(id) = release_id(state, &repo, id) else {
                return not_found();
            };
            let content_type = req.header("content-type").unwrap_or_default();
            let (name, bytes) = match opts.flavor {
                Flavor::Github => {
                    if content_type.is_empty() || content_type.contains("json") {
                        return Response::json(
                            415,
                            &json!({"message": "fake: an upload's Content-Type is the file's media type"}),
                        );
                    }
                    let Some(name) = query(q).get("name").cloned().filter(|n| !n.is_empty()) else {
                        return invalid("ReleaseAsset", "name", "missing_field");
                    };
                    (name, req.body.clone())
                }
                Flavor::Gitea => {
                    let Some((file, bytes)) = multipart_file(content_type, &req.body) else {
                        return Response::json(
                            400,
                            &json!({"message": "fake: a multipart/form-data body with an `attachment` file is needed"}),
                        );
                    };
                    let name = query(q)
                        .get("name")
                        .cloned()
                        .filter(|n| !n.is_empty())
                        .unwrap_or(file);
                    (name, bytes)
                }
            };
            let assets = state.assets.entry(id).or_default();
            if assets.iter().any(|a| a["name"] == name.as_str()) {
                return match opts.flavor {
                    Flavor::Github => invalid("ReleaseAsset", "name", "already_exists"),
                    Flavor::Gitea => {
                        Response::json(409, &json!({"message": "attachment already exists"}))
                    }
                };
            }
            state.next_id += 1;
            let asset = json!({
                "id": state.next_id,
                "name": name,
                "size": bytes.len(),
                "state": "uploaded",
                "content_type": content_type,
                "sha256": sha256_hex(&bytes),
                "browser_download_url": format!("{}/{repo}/releases/download/{name}", html_host(opts.flavor)),
            });
            state.assets.entry(id).or_default().push(asset.clone());
            Response::json(201, &asset)
        }
        ("DELETE", ["releases", "assets", asset_id]) => {
            let before: usize = state.assets.values().map(Vec::len).sum();
            for list in state.assets.values_mut() {
                list.retain(|a| a["id"].as_u64().is_none_or(|i| i.to_string() != *asset_id));
            }
            let after: usize = state.assets.values().map(Vec::len).sum();
            if before == after {
                not_found()
            } else {
                Response {
                    status: 204,
                    headers: Vec::new(),
                    body: Vec::new(),
                }
            }
        }
        _ => not_found(),
    }
}

/// A release as the API shows it: with its assets and its `upload_url` (on this server,
/// under `uploads`).
fn shown_release(state: &State, req: &Request, uploads: &str, repo: &str, mut r: Value) -> Value {
    let id = r["id"].as_u64().unwrap_or_default();
    let host = req.header("host").unwrap_or("127.0.0.1");
    r["upload_url"] = Value::from(format!(
        "http://{host}{uploads}/repos/{repo}/releases/{id}/assets{{?name,label}}"
    ));
    r["assets"] = Value::Array(state.assets.get(&id).cloned().unwrap_or_default());
    r
}

/// The id of release `id` of `repo`, when it exists.
fn release_id(state: &State, repo: &str, id: &str) -> Option<u64> {
    state
        .releases
        .get(repo)?
        .iter()
        .filter_map(|r| r["id"].as_u64())
        .find(|i| i.to_string() == id)
}

/// The `attachment` file of a multipart/form-data body: its file name and bytes.
fn multipart_file(content_type: &str, body: &[u8]) -> Option<(String, Vec<u8>)> {
    let boundary = content_type
        .strip_prefix("multipart/form-data")?
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"')
        .to_owned();
    let start = format!("--{boundary}\r\n");
    let end = format!("\r\n--{boundary}--");
    let text_start = body
        .windows(start.len())
        .position(|w| w == start.as_bytes())?
        + start.len();
    let rest = &body[text_start..];
    let header_end = rest.windows(4).position(|w| w == b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&rest[..header_end]).into_owned();
    if !headers.contains("name=\"attachment\"") {
        return None;
    }
    let file = headers
        .split("filename=\"")
        .nth(1)?
        .split('"')
        .next()?
        .to_owned();
    let content = &rest[header_end + 4..];
    let stop = content
        .windows(end.len())
        .rposition(|w| w == end.as_bytes())?;
    Some((file, content[..stop].to_vec()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
