//! Forge calls (SPEC §7): GitHub / GitHub Enterprise / Gitea releases and pull requests.
//!
//! A [`ForgeCall`] is a plan step: it is built while planning, printed by `--dry-run` as
//! `POST /repos/o/r/releases {"tag_name": …}` (the token is never part of it), and executed
//! by a [`Client`] during the real run. With no forge configured (`kind = "none"`, releases or
//! pull requests disabled, or no token) the step is skipped with a note.

use serde::{Deserialize, Serialize};

use crate::config::{ForgeConfig, ForgeKind};

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
            } => serde_json::json!({
                "tag_name": tag,
                "name": name,
                "body": body,
                "prerelease": prerelease,
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
    if owner.is_empty() || repo.is_empty() {
        return None;
    }
    Some(format!("{owner}/{repo}"))
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

/// Where forge calls go and with what credentials. The token is read from the environment
/// when the client is made and is never printed, planned or journaled.
pub struct Client {
    pub kind: ForgeKind,
    pub api_url: String,
    /// The environment variable the token came from (named in errors; the token never is).
    pub token_var: String,
    token: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("kind", &self.kind)
            .field("api_url", &self.api_url)
            .field("token_var", &self.token_var)
            .field("token", &"***")
            .finish()
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

/// The environment variables a token is read from, in order.
pub fn token_vars(cfg: &ForgeConfig) -> Vec<String> {
    match &cfg.token_env {
        Some(var) => vec![var.clone()],
        None => vec!["GITHUB_TOKEN".to_owned(), "GH_TOKEN".to_owned()],
    }
}

impl Client {
    /// The client for a configuration, or `None` when no forge is configured or no token is
    /// set. `env` reads environment variables (tests pass their own).
    pub fn from_config(
        cfg: &ForgeConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<Self>> {
        if cfg.kind == ForgeKind::None {
            return Ok(None);
        }
        let Some((token_var, token)) = token_vars(cfg)
            .into_iter()
            .find_map(|v| env(&v).filter(|t| !t.trim().is_empty()).map(|t| (v, t)))
        else {
            return Ok(None);
        };
        let api_url = cfg
            .api_url
            .clone()
            .or_else(|| env("GITHUB_API_URL"))
            .unwrap_or_else(|| "https://api.github.com".to_owned());
        Ok(Some(Self {
            kind: cfg.kind,
            api_url: api_url.trim_end_matches('/').to_owned(),
            token_var,
            token: token.trim().to_owned(),
        }))
    }

    /// Send one call. (The HTTP client comes with the forge issue; until then every call is
    /// skipped with a note.)
    pub fn execute(&self, call: &ForgeCall) -> anyhow::Result<ForgeOutcome> {
        let _ = (&self.token, call);
        Ok(ForgeOutcome::Skipped {
            reason: "the forge client is not built yet".to_owned(),
        })
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
}
