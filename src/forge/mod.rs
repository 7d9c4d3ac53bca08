//! Forge calls (docs/reference.md §7): GitHub / GitHub Enterprise / Gitea releases and pull requests.
//!
//! A [`ForgeCall`] is a plan step: it is built while planning, printed by `--dry-run` as
//! `POST /repos/o/r/releases {"tag_name": …}` (the token is never part of it), and executed
//! by a [`Client`] during the real run. With no forge configured (`kind = "none"`, releases or
//! pull requests disabled, or no token) the step is skipped with a note.
//!
//! The client (blocking, on ureq) is idempotent: an existing release for the tag is updated
//! (`PATCH`), an open pull request for the same head and base is reused. Requests are retried
//! with exponential backoff on 5xx, 429, GitHub's rate limits and network errors (see
//! [`RetryPolicy`]). Errors name the repository, the API URL and the token variable, never the
//! token. `docs/forge.md` describes endpoints, configuration and messages.
//!
//! - `api`: the release and pull-request flows (GitHub, GitHub Enterprise, Gitea);
//! - `http`: one request with retries, and the error messages;
//! - `owed`: the releases skipped for lack of a token, made by a later run.

mod api;
mod http;
pub mod owed;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{ForgeConfig, ForgeKind};
use crate::core::error::UserError;
use crate::workspace::{Package, Workspace};

/// What a forge call does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ForgeAction {
    /// Create the release for `tag` (an existing release for that tag is updated instead).
    CreateRelease {
        tag: String,
        name: String,
        body: String,
        prerelease: bool,
        /// GitHub's `make_latest`: `Some(true)` only for the newest final release of the
        /// repository, `Some(false)` for a pre-release or a patch of an older line (never sent
        /// to Gitea, which has no such field); `None` leaves it to the forge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latest: Option<bool>,
    },
    /// Attach files to the existing release of `tag`: each path is a file, or a directory
    /// whose files (dot files left out) are attached, by file name. An asset of the same name
    /// and size is already there (not sent again); one of the same name and another size is
    /// an error naming it.
    UploadAssets {
        tag: String,
        paths: Vec<std::path::PathBuf>,
    },
    /// Open a pull request `head` → `base` (an open one for the same head/base is reused).
    OpenPullRequest {
        head: String,
        base: String,
        title: String,
        body: String,
    },
}

/// One forge call of a plan: which repository, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeCall {
    /// `owner/repo`.
    pub repo: String,
    pub action: ForgeAction,
}

impl ForgeCall {
    /// The GitHub REST method and path of the call.
    pub fn method_path(&self) -> (&'static str, String) {
        match &self.action {
            ForgeAction::CreateRelease { .. } => ("POST", format!("/repos/{}/releases", self.repo)),
            ForgeAction::OpenPullRequest { .. } => ("POST", format!("/repos/{}/pulls", self.repo)),
            ForgeAction::UploadAssets { .. } => (
                "POST",
                format!("/repos/{}/releases/{{release_id}}/assets?name=…", self.repo),
            ),
        }
    }

    /// The JSON body GitHub expects.
    pub fn body(&self) -> serde_json::Value {
        match &self.action {
            ForgeAction::CreateRelease {
                tag,
                name,
                body,
                prerelease,
                latest,
            } => {
                let mut json = serde_json::json!({
                    "tag_name": tag,
                    "name": name,
                    "body": body,
                    "prerelease": prerelease,
                });
                if let Some(latest) = latest {
                    json["make_latest"] = serde_json::Value::from(latest.to_string());
                }
                json
            }
            ForgeAction::UploadAssets { tag, paths } => serde_json::json!({
                "release": tag,
                "files": paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            }),
            ForgeAction::OpenPullRequest {
                head,
                base,
                title,
                body,
            } => serde_json::json!({
                "head": head,
                "base": base,
                "title": title,
                "body": body,
            }),
        }
    }

    /// `POST /repos/o/r/releases {"tag_name":…}` (bodies longer than `max` characters are cut).
    pub fn describe(&self, max_body: usize) -> String {
        let (method, path) = self.method_path();
        let mut body = self.body();
        if let Some(serde_json::Value::String(text)) = body.get_mut("body")
            && text.chars().count() > max_body
        {
            let cut: String = text.chars().take(max_body).collect();
            *text = format!("{cut}…");
        }
        format!("{method} {path} {body}")
    }

    /// A short human name: `release v0.1.0` / `pull request dev_branch → main`.
    pub fn summary(&self) -> String {
        match &self.action {
            ForgeAction::CreateRelease { tag, .. } => format!("release {tag} on {}", self.repo),
            ForgeAction::UploadAssets { tag, .. } => {
                format!("assets of release {tag} on {}", self.repo)
            }
            ForgeAction::OpenPullRequest { head, base, .. } => {
                format!("pull request {head} → {base} on {}", self.repo)
            }
        }
    }
}

/// `owner/repo` from a remote URL: the last two path segments of https, ssh, scp-like
/// (`git@host:o/r.git`) and file URLs, without `.git`.
pub fn parse_repo(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/').map_or("", |(_, p)| p)
    } else if let Some((host, rest)) = url.split_once(':') {
        // scp-like `user@host:o/r.git`; a Windows drive letter is not a host.
        if host.len() == 1 { url } else { rest }
    } else {
        url
    };
    let mut parts = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..");
    let mut segments: Vec<&str> = Vec::new();
    for p in parts.by_ref() {
        segments.push(p);
    }
    let n = segments.len();
    if n < 2 {
        return None;
    }
    let owner = segments[n - 2];
    let repo = segments[n - 1]
        .strip_suffix(".git")
        .unwrap_or(segments[n - 1]);
    let repo = format!("{owner}/{repo}");
    // It becomes part of API paths: only names a forge allows (no `..`, `?`, `#`, `%`).
    crate::core::safety::repository(&repo)
        .is_ok()
        .then_some(repo)
}

/// How a forge step ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ForgeOutcome {
    /// Created; `url` is the web page of the new release / pull request.
    Created { url: String },
    /// It already existed and was updated (a release) or reused (an open pull request).
    Existing { url: String },
    /// Not sent: no forge configured, or no token; `reason` says which.
    Skipped { reason: String },
}

/// The environment variable that sets the time one forge request may take, in milliseconds
/// (default 60 s; the connection itself at most 10 s of it).
pub const TIMEOUT_ENV: &str = "RELEASE_TOOL_FORGE_TIMEOUT_MS";

/// The environment variable that sets the first retry delay in milliseconds (default 1 s; for
/// tests, which retry in milliseconds).
pub const RETRY_BASE_ENV: &str = "RELEASE_TOOL_FORGE_RETRY_BASE_MS";

/// How often and how long a request is retried on 5xx, 429, GitHub's rate limits and network
/// errors. The wait before retry `n` (0-based) is `base_delay * 2^n`, or the server's
/// `Retry-After` / `x-ratelimit-reset` when it gives one; a server asking for more than
/// `max_wait` is not waited for (the call fails at once, saying how long the server asked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first one included (at least 1).
    pub attempts: u32,
    /// The first backoff delay; doubled on each further retry.
    pub base_delay: Duration,
    /// The longest single wait (backoff, `Retry-After` or rate-limit reset).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_secs(1),
            max_wait: Duration::from_mins(1),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry `retry` (0 for the first retry): `base_delay * 2^retry`,
    /// capped at `max_wait`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_wait)
            .min(self.max_wait)
    }
}

/// Where forge calls go and with what credentials. The token is read from the environment
/// when the client is made and is never printed, planned or journaled.
pub struct Client {
    pub kind: ForgeKind,
    /// The API base every path is appended to: `https://api.github.com`,
    /// `https://ghe.example.com/api/v3`, `https://gitea.example.com/api/v1`.
    pub api_url: String,
    /// The environment variable the token came from (named in errors; the token never is).
    pub token_var: String,
    /// Retries and backoff (tests shorten the delays).
    pub retry: RetryPolicy,
    token: String,
    timeout: Duration,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("kind", &self.kind)
            .field("api_url", &self.api_url)
            .field("token_var", &self.token_var)
            .field("token", &"***")
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why there is no client: said in the note of each skipped forge step.
pub fn unavailable_reason(
    cfg: &ForgeConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    match Client::from_config(cfg, env) {
        Ok(Some(_)) => None,
        Ok(None) if cfg.kind == ForgeKind::None => {
            Some("no forge configured (forge.kind = \"none\")".to_owned())
        }
        Ok(None) => Some(format!(
            "no forge token (set {})",
            token_vars(cfg).join(" or ")
        )),
        Err(e) => Some(format!("{e:#}")),
    }
}

/// The token's form ([`check_token_form`]), when a forge is configured and a token variable is
/// set; nothing else (the client itself is made where it is used).
pub fn check_token(cfg: &ForgeConfig, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    if cfg.kind == ForgeKind::None {
        return Ok(());
    }
    match token_vars(cfg)
        .into_iter()
        .find_map(|v| env(&v).filter(|t| !t.trim().is_empty()).map(|t| (v, t)))
    {
        Some((var, token)) => check_token_form(&var, &token),
        None => Ok(()),
    }
}

/// A token is one word of visible ASCII (leading and trailing whitespace aside, which is
/// dropped): a line break, a space or a control character inside it would make every request
/// fail (an HTTP header cannot carry it), after the run had already pushed. A usage error naming
/// the variable and what is wrong, never the value.
fn check_token_form(var: &str, token: &str) -> anyhow::Result<()> {
    let Some(bad) = token.trim().chars().find(|c| !c.is_ascii_graphic()) else {
        return Ok(());
    };
    let what = match bad {
        '\n' | '\r' => "a line break",
        c if c.is_whitespace() => "whitespace",
        c if c.is_control() => "a control character",
        _ => "a character that is not ASCII",
    };
    Err(UserError::usage(format!(
        "{var} does not hold a forge token: it contains {what} (its value is not shown)"
    ))
    .with_hint(format!(
        "Export {var} with the token alone, on one line (`export {var}=\"$(cat token-file)\"` drops the final line break)"
    ))
    .into())
}

/// The environment variables a token is read from, in order.
pub fn token_vars(cfg: &ForgeConfig) -> Vec<String> {
    match &cfg.token_env {
        Some(var) => vec![var.clone()],
        None => vec!["GITHUB_TOKEN".to_owned(), "GH_TOKEN".to_owned()],
    }
}

/// The client, or a usage error (exit 2) naming the token variables when there is none: for
/// `--require-forge`, where a missing token must stop the run instead of skipping forge steps.
pub fn require(cfg: &ForgeConfig, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Client> {
    if let Some(client) = Client::from_config(cfg, env)? {
        return Ok(client);
    }
    if cfg.kind == ForgeKind::None {
        return Err(UserError::usage(
            "A forge is required (--require-forge), but none is configured (forge.kind = \"none\")",
        )
        .with_hint(
            "Set `kind = \"github\"` or `kind = \"gitea\"` under [tool.release_tool.forge], \
             or drop --require-forge to release without forge steps",
        )
        .into());
    }
    let vars = token_vars(cfg);
    Err(UserError::usage(format!(
        "A forge is required (--require-forge), but no token is set: {} {} empty or unset",
        vars.join(" and "),
        if vars.len() == 1 { "is" } else { "are" }
    ))
    .with_hint(format!(
        "Export {} with a token that may write releases and pull requests ({}), \
         or drop --require-forge to skip forge steps with a warning",
        vars.join(" or "),
        scopes(cfg.kind)
    ))
    .into())
}

/// The `owner/repo` of a package on the forge: the `repository` override of
/// `[tool.release_tool.packages.<name>]`, else the last two path segments of its remote URL;
/// `None` when forge steps are off for it ([`off_for_local_remote`]).
pub fn repo_for(ws: &Workspace, pkg: &Package) -> Option<String> {
    if off_for_local_remote(ws, pkg) {
        return None;
    }
    configured_repository(ws, pkg)
        .or_else(|| crate::workspace::package_url(ws, pkg).and_then(|u| parse_repo(&u)))
}

fn configured_repository(ws: &Workspace, pkg: &Package) -> Option<String> {
    ws.config
        .packages
        .get(&pkg.name)
        .or_else(|| ws.config.packages.get(&pkg.key))
        .and_then(|p| p.repository.clone())
}

/// Whether forge steps are off for `pkg` because no forge can be inferred: its remote is a
/// `file://` URL or a path, and neither a `[tool.release_tool.forge]` table nor the package's
/// `repository` names one. A forge configured explicitly still applies to local remotes.
pub fn off_for_local_remote(ws: &Workspace, pkg: &Package) -> bool {
    !ws.config.forge.configured
        && configured_repository(ws, pkg).is_none()
        && crate::workspace::package_url(ws, pkg)
            .is_some_and(|u| crate::workspace::is_local_url(&u))
}

/// The note a plan gives once when [`off_for_local_remote`] turned forge steps off.
pub const LOCAL_REMOTES_NOTE: &str = "forge steps are off: the package remotes are local (file:// or paths), so no forge is inferred from them (configure one under [tool.release_tool.forge] to use it)";

/// The token permissions forge calls need, said in hints.
pub(crate) fn scopes(kind: ForgeKind) -> &'static str {
    match kind {
        ForgeKind::Gitea => "scope write:repository",
        _ => {
            "fine-grained: Contents and Pull requests read/write; \
             classic: repo (or public_repo)"
        }
    }
}

/// `GitHub` / `Gitea`, for messages.
pub(crate) fn forge_name(kind: ForgeKind) -> &'static str {
    match kind {
        ForgeKind::Gitea => "Gitea",
        _ => "GitHub",
    }
}

/// The API base for a configured URL: trimmed, checked (http(s), a host, no credentials, no
/// query), and for Gitea with `/api/v1` appended unless already there.
fn api_base(kind: ForgeKind, url: &str, source: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let bad = |why: &str| -> anyhow::Error {
        // The URL is shown only when it carries no credentials.
        let shown = if why.contains("credentials") {
            String::new()
        } else {
            format!(" ({url:?})")
        };
        UserError::usage(format!("The forge API URL from {source}{shown} {why}"))
            .with_hint(
                "Use the API base, e.g. https://api.github.com, https://ghe.example.com/api/v3 \
                 (GitHub Enterprise) or https://gitea.example.com/api/v1 (Gitea); \
                 the token goes in the token variable, never in the URL",
            )
            .into()
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(bad("is not an http(s) URL"));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(bad("is not an http(s) URL"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad("must not carry credentials"));
    }
    if authority.is_empty() {
        return Err(bad("has no host"));
    }
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must be a plain URL (no query, fragment or spaces)"));
    }
    if kind == ForgeKind::Gitea && !url.ends_with("/api/v1") {
        return Ok(format!("{url}/api/v1"));
    }
    Ok(url.to_owned())
}

/// Whether the API host is this machine (no proxy for it).
fn is_loopback(api_url: &str) -> bool {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn agent(api_url: &str, kind: ForgeKind, timeout: Duration) -> ureq::Agent {
    let user_agent = format!("release-tool/{}", env!("CARGO_PKG_VERSION"));
    let accept = match kind {
        ForgeKind::Gitea => "application/json",
        _ => "application/vnd.github+json",
    };
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(user_agent.as_str())
        .accept(accept)
        // GitHub answers a renamed repository with a redirect on the same host.
        .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
        .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
        .timeout_global(Some(timeout));
    if is_loopback(api_url) {
        config = config.proxy(None);
    }
    config.build().into()
}

impl Client {
    /// The client for a configuration, or `None` when no forge is configured or no token is
    /// set. `env` reads environment variables (tests pass their own). A bad `api_url` (or
    /// `GITHUB_API_URL`), or Gitea without one, is a usage error.
    pub fn from_config(
        cfg: &ForgeConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<Self>> {
        if cfg.kind == ForgeKind::None {
            return Ok(None);
        }
        let (api_url, source) = match (&cfg.api_url, env("GITHUB_API_URL")) {
            (Some(url), _) => (url.clone(), "forge.api_url"),
            (None, Some(url)) if !url.trim().is_empty() => (url, "GITHUB_API_URL"),
            _ if cfg.kind == ForgeKind::Gitea => {
                return Err(UserError::usage(
                    "forge.kind = \"gitea\" needs forge.api_url (there is no default Gitea server)",
                )
                .with_hint(
                    "Set `api_url = \"https://gitea.example.com/api/v1\"` under \
                     [tool.release_tool.forge] (or export GITHUB_API_URL)",
                )
                .into());
            }
            _ => ("https://api.github.com".to_owned(), "the default"),
        };
        let api_url = api_base(cfg.kind, &api_url, source)?;
        let Some((token_var, token)) = token_vars(cfg)
            .into_iter()
            .find_map(|v| env(&v).filter(|t| !t.trim().is_empty()).map(|t| (v, t)))
        else {
            return Ok(None);
        };
        check_token_form(&token_var, &token)?;
        let mut client = Self::build(cfg.kind, api_url, token_var, &token);
        let millis = |var: &str| {
            env(var)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis)
        };
        if let Some(timeout) = millis(TIMEOUT_ENV) {
            client = client.with_timeout(timeout);
        }
        if let Some(base_delay) = millis(RETRY_BASE_ENV) {
            let retry = RetryPolicy {
                base_delay,
                ..client.retry
            };
            client = client.with_retry(retry);
        }
        Ok(Some(client))
    }

    /// A client for an API base (checked as `forge.api_url` is; `/api/v1` appended for Gitea)
    /// and a token, named by `token_var` in errors.
    pub fn new(
        kind: ForgeKind,
        api_url: &str,
        token_var: &str,
        token: &str,
    ) -> anyhow::Result<Self> {
        if kind == ForgeKind::None {
            crate::bail_usage!("No forge client for forge.kind = \"none\"");
        }
        if token.trim().is_empty() {
            crate::bail_usage!("The forge token in {token_var} is empty");
        }
        let api_url = api_base(kind, api_url, "the given api_url")?;
        Ok(Self::build(kind, api_url, token_var.to_owned(), token))
    }

    fn build(kind: ForgeKind, api_url: String, token_var: String, token: &str) -> Self {
        let timeout = Duration::from_mins(1);
        Self {
            agent: agent(&api_url, kind, timeout),
            kind,
            api_url,
            token_var,
            retry: RetryPolicy::default(),
            token: token.trim().to_owned(),
            timeout,
        }
    }

    /// The same client with another retry policy (tests use delays of a few ms).
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = RetryPolicy {
            attempts: retry.attempts.max(1),
            ..retry
        };
        self
    }

    /// The same client with another timeout per request (connect at most 10 s of it).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.agent = agent(&self.api_url, self.kind, timeout);
        self
    }

    /// Send one call: create (or update) a release, open (or reuse) a pull request. Safe to
    /// repeat: an existing release for the tag is updated, an open pull request for the same
    /// head and base is reused. Errors name the repository, the API URL and the token
    /// variable, never the token.
    pub fn execute(&self, call: &ForgeCall) -> anyhow::Result<ForgeOutcome> {
        let (owner, repo) = split_repo(&call.repo)?;
        match &call.action {
            ForgeAction::CreateRelease {
                tag,
                name,
                body,
                prerelease,
                latest,
            } => api::create_release(
                self,
                &api::Release {
                    owner,
                    repo,
                    tag,
                    name,
                    body,
                    prerelease: *prerelease,
                    latest: *latest,
                },
            ),
            ForgeAction::UploadAssets { tag, paths } => {
                api::upload_assets(self, owner, repo, tag, paths)
            }
            ForgeAction::OpenPullRequest {
                head,
                base,
                title,
                body,
            } => api::open_pull_request(
                self,
                &api::Pull {
                    owner,
                    repo,
                    head,
                    base,
                    title,
                    body,
                },
            ),
        }
    }
}

/// `("owner", "repo")` of a call's `owner/repo`.
fn split_repo(repo: &str) -> anyhow::Result<(&str, &str)> {
    match repo.split_once('/') {
        Some((owner, name))
            if !owner.is_empty()
                && !name.is_empty()
                && !name.contains('/')
                && !repo.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok((owner, name))
        }
        _ => Err(UserError::usage(format!(
            "The forge repository {repo:?} is not \"owner/repo\""
        ))
        .with_hint("Set `repository = \"owner/repo\"` under [tool.release_tool.packages.<name>]")
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_from_urls() {
        for (url, want) in [
            ("https://github.com/acme/alpha.git", "acme/alpha"),
            ("https://github.com/acme/alpha", "acme/alpha"),
            ("https://ghe.example.com/acme/alpha/", "acme/alpha"),
            ("ssh://git@github.com/acme/alpha.git", "acme/alpha"),
            ("ssh://git@github.com:2222/acme/alpha.git", "acme/alpha"),
            ("git@github.com:acme/alpha.git", "acme/alpha"),
            ("file:///srv/remotes/acme/alpha.git", "acme/alpha"),
            ("/srv/remotes/acme/alpha.git", "acme/alpha"),
        ] {
            assert_eq!(parse_repo(url).as_deref(), Some(want), "{url}");
        }
        assert_eq!(parse_repo("https://github.com/alpha"), None);
        assert_eq!(parse_repo("alpha"), None);
    }

    #[test]
    fn describe_cuts_long_bodies_and_has_no_token() {
        let call = ForgeCall {
            repo: "acme/alpha".to_owned(),
            action: ForgeAction::CreateRelease {
                tag: "v0.1.0".to_owned(),
                name: "alpha 0.1.0".to_owned(),
                body: "x".repeat(100),
                prerelease: false,
                latest: None,
            },
        };
        let text = call.describe(10);
        assert!(
            text.starts_with("POST /repos/acme/alpha/releases {"),
            "{text}"
        );
        assert!(text.contains("\"tag_name\":\"v0.1.0\""), "{text}");
        assert!(text.contains("xxxxxxxxxx…"), "{text}");
    }

    #[test]
    fn client_needs_a_token_and_never_shows_it() {
        let cfg = ForgeConfig::default();
        let none = |_: &str| None;
        assert!(Client::from_config(&cfg, &none).unwrap().is_none());
        let env = |k: &str| (k == "GH_TOKEN").then(|| "s3cret".to_owned());
        let client = Client::from_config(&cfg, &env).unwrap().unwrap();
        assert_eq!(client.token_var, "GH_TOKEN");
        assert_eq!(client.api_url, "https://api.github.com");
        assert!(!format!("{client:?}").contains("s3cret"));
        let off = ForgeConfig {
            kind: ForgeKind::None,
            ..ForgeConfig::default()
        };
        assert!(Client::from_config(&off, &env).unwrap().is_none());
        assert!(unavailable_reason(&off, &env).unwrap().contains("none"));
        assert!(
            unavailable_reason(&cfg, &none)
                .unwrap()
                .contains("GITHUB_TOKEN or GH_TOKEN")
        );
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn timeout_and_retry_delay_come_from_the_environment() {
        let cfg = ForgeConfig::default();
        let env = env_of(&[("GITHUB_TOKEN", "t")]);
        let c = Client::from_config(&cfg, &env).unwrap().unwrap();
        assert_eq!(c.timeout, Duration::from_mins(1));
        assert_eq!(c.retry, RetryPolicy::default());
        let env = env_of(&[
            ("GITHUB_TOKEN", "t"),
            (TIMEOUT_ENV, "250"),
            (RETRY_BASE_ENV, " 5 "),
        ]);
        let c = Client::from_config(&cfg, &env).unwrap().unwrap();
        assert_eq!(c.timeout, Duration::from_millis(250));
        assert_eq!(c.retry.base_delay, Duration::from_millis(5));
        assert_eq!(c.retry.attempts, RetryPolicy::default().attempts);
        // Nonsense is ignored: the defaults stay.
        let env = env_of(&[
            ("GITHUB_TOKEN", "t"),
            (TIMEOUT_ENV, "soon"),
            (RETRY_BASE_ENV, "0"),
        ]);
        let c = Client::from_config(&cfg, &env).unwrap().unwrap();
        assert_eq!(c.timeout, Duration::from_mins(1));
        assert_eq!(c.retry, RetryPolicy::default());
    }

    #[test]
    fn a_token_with_a_line_break_inside_is_refused_naming_the_variable() {
        let cfg = ForgeConfig::default();
        for (bad, what) in [
            ("ghp_one\nghp_two", "a line break"),
            ("ghp one", "whitespace"),
            ("ghp\u{7}x", "a control character"),
            ("ghp_é", "not ASCII"),
        ] {
            let pairs = [("GITHUB_TOKEN", bad)];
            let env = env_of(&pairs);
            let Err(err) = Client::from_config(&cfg, &env) else {
                panic!("{bad:?} was taken");
            };
            let text = format!("{err:#}");
            assert!(
                text.starts_with("GITHUB_TOKEN does not hold a forge token: it contains"),
                "{text}"
            );
            assert!(text.contains(what), "{text}");
            assert!(!text.contains("ghp"), "the value is not shown: {text}");
        }
        // Surrounding whitespace is dropped, as before.
        let env = env_of(&[("GITHUB_TOKEN", "  ghp_ok\n")]);
        assert!(Client::from_config(&cfg, &env).unwrap().is_some());
    }

    #[test]
    fn token_precedence_and_api_urls() {
        let cfg = ForgeConfig::default();
        let env = env_of(&[("GITHUB_TOKEN", " t1\n"), ("GH_TOKEN", "t2")]);
        let c = Client::from_config(&cfg, &env).unwrap().unwrap();
        assert_eq!(c.token_var, "GITHUB_TOKEN");
        assert_eq!(c.token, "t1");
        // An empty variable does not count.
        let env = env_of(&[("GITHUB_TOKEN", " "), ("GH_TOKEN", "t2")]);
        assert_eq!(
            Client::from_config(&cfg, &env).unwrap().unwrap().token_var,
            "GH_TOKEN"
        );
        // token_env replaces both defaults.
        let own = ForgeConfig {
            token_env: Some("RELEASE_TOKEN".to_owned()),
            ..ForgeConfig::default()
        };
        assert!(Client::from_config(&own, &env).unwrap().is_none());
        let env = env_of(&[("RELEASE_TOKEN", "t3")]);
        assert_eq!(
            Client::from_config(&own, &env).unwrap().unwrap().token_var,
            "RELEASE_TOKEN"
        );
        // api_url, then GITHUB_API_URL, then api.github.com; trailing slashes go.
        let env = env_of(&[
            ("GH_TOKEN", "t"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
        ]);
        let c = Client::from_config(&cfg, &env).unwrap().unwrap();
        assert_eq!(c.api_url, "https://ghe.example.com/api/v3");
        let set = ForgeConfig {
            api_url: Some("https://other.example.com/api/v3".to_owned()),
            ..ForgeConfig::default()
        };
        let c = Client::from_config(&set, &env).unwrap().unwrap();
        assert_eq!(c.api_url, "https://other.example.com/api/v3");
    }

    #[test]
    fn gitea_api_base() {
        let env = env_of(&[("GITHUB_TOKEN", "t")]);
        for (url, want) in [
            (
                "https://gitea.example.com",
                "https://gitea.example.com/api/v1",
            ),
            (
                "https://gitea.example.com/",
                "https://gitea.example.com/api/v1",
            ),
            (
                "https://gitea.example.com/api/v1",
                "https://gitea.example.com/api/v1",
            ),
            (
                "https://example.com/git/api/v1/",
                "https://example.com/git/api/v1",
            ),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000/api/v1"),
        ] {
            let cfg = ForgeConfig {
                kind: ForgeKind::Gitea,
                api_url: Some(url.to_owned()),
                ..ForgeConfig::default()
            };
            let c = Client::from_config(&cfg, &env).unwrap().unwrap();
            assert_eq!(c.api_url, want, "{url}");
        }
        // Gitea has no default server: a usage error, even before a token is set.
        let cfg = ForgeConfig {
            kind: ForgeKind::Gitea,
            ..ForgeConfig::default()
        };
        let err = Client::from_config(&cfg, &|_: &str| None).unwrap_err();
        assert!(format!("{err}").contains("needs forge.api_url"), "{err}");
        assert_eq!(
            crate::core::error::classify(&err).0,
            crate::core::error::ExitKind::Usage
        );
    }

    #[test]
    fn bad_api_urls_are_usage_errors_without_credentials() {
        let env = env_of(&[("GITHUB_TOKEN", "t")]);
        for (url, want) in [
            ("api.github.com", "is not an http(s) URL"),
            ("ftp://x.example.com", "is not an http(s) URL"),
            ("https:///api/v3", "has no host"),
            (
                "https://user:hunter2@ghe.example.com/api/v3",
                "must not carry credentials",
            ),
            ("https://ghe.example.com/api/v3?x=1", "must be a plain URL"),
        ] {
            let cfg = ForgeConfig {
                api_url: Some(url.to_owned()),
                ..ForgeConfig::default()
            };
            let err = Client::from_config(&cfg, &env).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(want), "{url}: {text}");
            assert!(text.contains("forge.api_url"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
            assert_eq!(
                crate::core::error::classify(&err).0,
                crate::core::error::ExitKind::Usage
            );
        }
        let env = env_of(&[("GITHUB_TOKEN", "t"), ("GITHUB_API_URL", "nope")]);
        let err = Client::from_config(&ForgeConfig::default(), &env).unwrap_err();
        assert!(format!("{err}").contains("GITHUB_API_URL"), "{err}");
        assert!(Client::new(ForgeKind::None, "https://x", "T", "t").is_err());
        assert!(Client::new(ForgeKind::Github, "https://x", "T", " ").is_err());
    }

    #[test]
    fn loopback_hosts_skip_the_proxy() {
        assert!(is_loopback("http://127.0.0.1:8080/api/v3"));
        assert!(is_loopback("http://localhost"));
        assert!(is_loopback("http://[::1]:9/x"));
        assert!(!is_loopback("https://api.github.com"));
        assert!(!is_loopback("https://127.example.com"));
    }

    #[test]
    fn require_names_the_variables() {
        let none = |_: &str| None;
        let err = require(&ForgeConfig::default(), &none).unwrap_err();
        let (kind, hint) = crate::core::error::classify(&err);
        assert_eq!(kind, crate::core::error::ExitKind::Usage);
        assert_eq!(
            err.to_string(),
            "A forge is required (--require-forge), but no token is set: \
             GITHUB_TOKEN and GH_TOKEN are empty or unset"
        );
        assert!(hint.unwrap().contains("Export GITHUB_TOKEN or GH_TOKEN"));
        let own = ForgeConfig {
            token_env: Some("RT_TOKEN".to_owned()),
            ..ForgeConfig::default()
        };
        let err = require(&own, &none).unwrap_err();
        assert!(
            err.to_string().contains("RT_TOKEN is empty or unset"),
            "{err}"
        );
        let off = ForgeConfig {
            kind: ForgeKind::None,
            ..ForgeConfig::default()
        };
        let err = require(&off, &none).unwrap_err();
        assert!(err.to_string().contains("forge.kind = \"none\""), "{err}");
        let env = env_of(&[("GH_TOKEN", "t")]);
        assert_eq!(
            require(&ForgeConfig::default(), &env).unwrap().token_var,
            "GH_TOKEN"
        );
    }

    #[test]
    fn bad_repositories_are_refused() {
        for repo in ["alpha", "/alpha", "acme/", "a/b/c", "acme/al pha"] {
            let err = split_repo(repo).unwrap_err();
            assert!(err.to_string().contains("is not \"owner/repo\""), "{err}");
        }
        assert_eq!(split_repo("acme/alpha").unwrap(), ("acme", "alpha"));
    }

    /// Every error the client can make, rendered every way, for both forges.
    fn every_error(client: &Client) -> Vec<String> {
        use http::{Method, Reply};
        let mut errors = Vec::new();
        let with = |status: u16, json: serde_json::Value| Reply {
            status,
            json,
            attempts: 4,
            ..Reply::default()
        };
        let echo = serde_json::json!({"message": "Bad credentials: token s3cr3t-T0KEN",
            "errors": [{"message": "s3cr3t-T0KEN", "code": "custom"}]});
        let mut replies = vec![
            with(401, echo.clone()),
            with(403, echo.clone()),
            with(404, echo.clone()),
            with(409, echo.clone()),
            with(422, echo.clone()),
            with(429, echo.clone()),
            with(500, echo.clone()),
            with(302, echo.clone()),
        ];
        let mut too_long = with(403, echo.clone());
        too_long.retry_after = Some(3600);
        too_long.wait_refused = Some(Duration::from_hours(1));
        replies.push(too_long);
        for reply in &replies {
            for method in [Method::Get, Method::Post, Method::Patch] {
                errors.push(client.status_error(
                    method,
                    "/repos/acme/alpha/releases",
                    "acme/alpha",
                    reply,
                ));
            }
        }
        let io = std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "peer sent s3cr3t-T0KEN",
        );
        errors.push(client.network_error(
            Method::Post,
            "/repos/acme/alpha/pulls",
            4,
            &ureq::Error::Io(io),
        ));
        errors.push(client.network_error(
            Method::Get,
            "/repos/acme/alpha/pulls",
            1,
            &ureq::Error::ConnectionFailed,
        ));
        errors
            .into_iter()
            .map(|e| {
                let (_, hint) = crate::core::error::classify(&e);
                format!("{e}\n{e:#}\n{e:?}\nhint: {}", hint.unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn no_error_shows_the_token() {
        for kind in [ForgeKind::Github, ForgeKind::Gitea] {
            let client = Client::new(
                kind,
                "https://forge.example.com/api/v1",
                "GITHUB_TOKEN",
                "s3cr3t-T0KEN",
            )
            .unwrap();
            assert!(!format!("{client:?}").contains("s3cr3t"));
            for text in every_error(&client) {
                assert!(!text.contains("s3cr3t-T0KEN"), "{text}");
                // Each one carried the token (the last one has nothing to redact).
                assert!(
                    text.contains("***") || text.contains("connection failed"),
                    "{text}"
                );
                assert!(
                    text.contains("hint: ") && !text.ends_with("hint: "),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn error_messages() {
        use http::{Method, Reply};
        let client = Client::new(
            ForgeKind::Github,
            "https://api.github.com",
            "GITHUB_TOKEN",
            "ghp_0123456789abcdef",
        )
        .unwrap();
        let reply = |status: u16, message: &str| Reply {
            status,
            json: serde_json::json!({ "message": message }),
            attempts: 1,
            ..Reply::default()
        };
        let render = |status, message, method| {
            let e = client.status_error(
                method,
                "/repos/acme/alpha/releases",
                "acme/alpha",
                &reply(status, message),
            );
            let (kind, hint) = crate::core::error::classify(&e);
            assert_eq!(kind, crate::core::error::ExitKind::Failure);
            (e.to_string(), hint.unwrap())
        };
        let (msg, hint) = render(401, "Bad credentials", Method::Post);
        assert_eq!(
            msg,
            "GitHub answered 401 Unauthorized for POST /repos/acme/alpha/releases at \
             https://api.github.com: the token in GITHUB_TOKEN was rejected \
             (GitHub says: Bad credentials)"
        );
        assert!(
            hint.contains("Contents and Pull requests read/write"),
            "{hint}"
        );
        let (msg, hint) = render(403, "Resource not accessible by integration", Method::Post);
        assert!(
            msg.contains("403 Forbidden") && msg.contains("may not do this on acme/alpha"),
            "{msg}"
        );
        assert!(hint.contains("write access to acme/alpha"), "{hint}");
        let (msg, hint) = render(404, "Not Found", Method::Post);
        assert!(
            msg.contains("acme/alpha was not found at https://api.github.com"),
            "{msg}"
        );
        assert!(hint.contains("/api/v3"), "{hint}");
        let (msg, _) = render(422, "Validation Failed", Method::Post);
        assert!(msg.contains("acme/alpha refused the request"), "{msg}");
        let mut busy = reply(502, "");
        busy.attempts = 4;
        let e = client.status_error(Method::Get, "/x", "acme/alpha", &busy);
        assert_eq!(
            e.to_string(),
            "GitHub answered 502 Bad Gateway for GET /x at https://api.github.com: \
             the server failed (after 4 attempts)"
        );
        let mut down = reply(503, "");
        down.wait_refused = Some(Duration::from_mins(10));
        let e = client.status_error(Method::Get, "/x", "acme/alpha", &down);
        assert!(
            e.to_string().ends_with(
                "the server failed and asks to wait 600 s (more than the 60 s this tool waits)"
            ),
            "{e}"
        );
        let mut limited = reply(429, "slow down");
        limited.attempts = 4;
        let e = client.status_error(Method::Get, "/x", "acme/alpha", &limited);
        assert!(
            e.to_string().contains(
                "the rate limit for the token in GITHUB_TOKEN is reached (after 4 attempts)"
            ),
            "{e}"
        );
        let gitea = Client::new(
            ForgeKind::Gitea,
            "https://g.example.com",
            "GITEA_TOKEN",
            "0123456789abcdef",
        )
        .unwrap();
        let e = gitea.status_error(
            Method::Post,
            "/x",
            "acme/alpha",
            &reply(401, "unauthorized"),
        );
        let (_, hint) = crate::core::error::classify(&e);
        assert!(e.to_string().starts_with("Gitea answered 401"), "{e}");
        assert!(e.to_string().contains("GITEA_TOKEN"), "{e}");
        assert!(hint.unwrap().contains("write:repository"));
    }

    #[test]
    fn repo_of_a_package() {
        use crate::config::{Config, ConfigSource, PackageOverride};
        use crate::workspace::Submodule;
        let tmp = tempfile::tempdir().unwrap();
        let package = |name: &str, url: Option<&str>| Package {
            name: name.to_owned(),
            key: name.to_lowercase().replace(['_', '.'], "-"),
            dir: tmp.path().join(name),
            rel_path: format!("packages/{name}"),
            meta: None,
            submodule: Some(Submodule {
                name: format!("packages/{name}"),
                path: format!("packages/{name}"),
                url: url.map(str::to_owned),
                branch: None,
            }),
            home: crate::workspace::GitHome::Own,
            workspace_deps: Vec::new(),
            problems: Vec::new(),
            detected_base: std::sync::OnceLock::new(),
        };
        let mut config = Config::default();
        config.packages.insert(
            "beta".to_owned(),
            PackageOverride {
                repository: Some("platform/beta-service".to_owned()),
                ..PackageOverride::default()
            },
        );
        config.packages.insert(
            "gamma-lib".to_owned(),
            PackageOverride {
                repository: Some("platform/gamma".to_owned()),
                ..PackageOverride::default()
            },
        );
        let ws = Workspace {
            root: tmp.path().to_path_buf(),
            config,
            config_source: ConfigSource::Defaults,
            warnings: Vec::new(),
            submodules: Vec::new(),
            packages: Vec::new(),
        };
        let alpha = package("alpha", Some("git@github.com:acme/alpha.git"));
        assert_eq!(repo_for(&ws, &alpha).as_deref(), Some("acme/alpha"));
        let beta = package("beta", Some("https://github.com/acme/beta.git"));
        assert_eq!(
            repo_for(&ws, &beta).as_deref(),
            Some("platform/beta-service")
        );
        // The override is found by the normalised name too.
        let gamma = package("Gamma_Lib", None);
        assert_eq!(repo_for(&ws, &gamma).as_deref(), Some("platform/gamma"));
        // No URL (and no git repository): unknown.
        let delta = package("delta", None);
        assert_eq!(repo_for(&ws, &delta), None);
    }

    #[test]
    fn client_is_shareable_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Client>();
    }
}
