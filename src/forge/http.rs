//! One forge request: headers, retries with backoff, and the errors users see.
//!
//! The token goes into the `Authorization` header and nowhere else: every message built here
//! passes through [`Client::redact`], and ureq logs only non-sensitive headers.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::{Client, RetryPolicy, forge_name, scopes};
use crate::config::ForgeKind;
use crate::core::error::UserError;

/// The HTTP methods forge calls use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// The answer to a request (after retries).
#[derive(Clone, Debug, Default)]
pub(super) struct Reply {
    pub status: u16,
    /// The JSON body (`Null` when there is none or it is not JSON).
    pub json: Value,
    pub retry_after: Option<u64>,
    pub rate_remaining: Option<u64>,
    pub rate_reset: Option<u64>,
    /// How many attempts were made.
    pub attempts: u32,
    /// Set when the server asked to wait longer than the retry policy allows.
    pub wait_refused: Option<Duration>,
}

impl Reply {
    /// The API's `message` field, with the `errors[]` details GitHub adds to a 422.
    pub(super) fn message(&self) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        if let Some(m) = self.json.get("message").and_then(Value::as_str) {
            let m = m.trim();
            if !m.is_empty() {
                parts.push(m.to_owned());
            }
        }
        if let Some(errors) = self.json.get("errors").and_then(Value::as_array) {
            for e in errors {
                let text = if let Some(m) = e.get("message").and_then(Value::as_str) {
                    m.to_owned()
                } else if let Some(s) = e.as_str() {
                    s.to_owned()
                } else {
                    let field = e.get("field").and_then(Value::as_str).unwrap_or("?");
                    let code = e.get("code").and_then(Value::as_str).unwrap_or("invalid");
                    format!("{field}: {code}")
                };
                if !text.trim().is_empty() {
                    parts.push(text.trim().to_owned());
                }
            }
        }
        if parts.is_empty() {
            return None;
        }
        let mut text = parts.join("; ");
        if text.chars().count() > 300 {
            text = text.chars().take(300).collect::<String>() + "…";
        }
        Some(text)
    }

    /// Whether a create was refused because the thing already exists: GitHub's 422 with
    /// `errors[].code = "already_exists"` or "A pull request already exists…", Gitea's 409.
    pub(super) fn already_exists(&self) -> bool {
        match self.status {
            409 => true,
            422 => {
                self.message()
                    .is_some_and(|m| m.to_ascii_lowercase().contains("already exist"))
                    || self
                        .json
                        .get("errors")
                        .and_then(Value::as_array)
                        .is_some_and(|errors| {
                            errors.iter().any(|e| {
                                e.get("code").and_then(Value::as_str) == Some("already_exists")
                            })
                        })
            }
            _ => false,
        }
    }

    /// A rate limit rather than a permission problem (GitHub answers both with 403).
    pub(super) fn rate_limited(&self) -> bool {
        match self.status {
            429 => true,
            403 => {
                self.retry_after.is_some()
                    || self.rate_remaining == Some(0)
                    || self
                        .message()
                        .is_some_and(|m| m.to_ascii_lowercase().contains("rate limit"))
            }
            _ => false,
        }
    }
}

/// What to do after an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Keep the answer (success, or an error that retrying cannot fix).
    Done,
    /// Retry after this wait.
    Retry(Duration),
    /// The server asked for a longer wait than the policy allows: give up now.
    TooLong(Duration),
}

/// Whether (and after how long) to retry an answer. `retry` is the number of retries made so
/// far; `now` the current Unix time (for `x-ratelimit-reset`).
pub(super) fn verdict(reply: &Reply, retry: u32, policy: &RetryPolicy, now: u64) -> Verdict {
    let retryable = reply.status >= 500 || reply.rate_limited();
    if !retryable {
        return Verdict::Done;
    }
    let wait = if let Some(secs) = reply.retry_after {
        Duration::from_secs(secs)
    } else if reply.rate_remaining == Some(0)
        && let Some(reset) = reply.rate_reset
    {
        Duration::from_secs(reset.saturating_sub(now))
    } else {
        policy.backoff(retry)
    };
    if wait > policy.max_wait {
        Verdict::TooLong(wait)
    } else {
        Verdict::Retry(wait)
    }
}

/// Whether a transport error may go away on its own (connection refused or reset, timeouts,
/// DNS); bad URLs, TLS and proxy configuration do not.
fn transient(err: &ureq::Error) -> bool {
    !matches!(
        err,
        ureq::Error::BadUri(_)
            | ureq::Error::Http(_)
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::Tls(_)
            | ureq::Error::TooManyRedirects
            | ureq::Error::RedirectFailed
            | ureq::Error::BodyExceedsLimit(_)
    )
}

/// Percent-encode one path segment or query value (everything but RFC 3986 unreserved).
pub(super) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn header_u64(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<u64> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok())
}

/// The wait a `Retry-After` value asks for, in seconds: delay-seconds (`120`), or an HTTP date
/// (RFC 9110 §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete RFC 850 and asctime
/// forms a recipient must also accept), counted from `now` (Unix seconds; a date in the past
/// is no wait). `None` for anything else.
pub(super) fn retry_after_secs(value: &str, now: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    http_date(value).map(|at| at.saturating_sub(now))
}

/// Unix seconds of an HTTP date in any of the three forms of RFC 9110 §5.6.7.
fn http_date(value: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = |m: &str| MONTHS.iter().position(|n| *n == m).map(|i| i as u64 + 1);
    let words: Vec<&str> = value.split_whitespace().collect();
    let (day, mon, year, time): (u64, u64, u64, &str) = match words.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [wd, d, m, y, t, "GMT"] if wd.ends_with(',') => {
            (d.parse().ok()?, month(m)?, y.parse::<u64>().ok()?, *t)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (a two-digit year within 50 years from now,
        // as RFC 9110 asks: taken as 19xx from 70 on, else 20xx)
        [wd, dmy, t, "GMT"] if wd.ends_with(',') => {
            let mut parts = dmy.split('-');
            let d = parts.next()?.parse().ok()?;
            let m = month(parts.next()?)?;
            let y: u64 = parts.next()?.parse().ok()?;
            let y = if y >= 100 {
                y
            } else if y >= 70 {
                1900 + y
            } else {
                2000 + y
            };
            (d, m, y, *t)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_, m, d, t, y] => (d.parse().ok()?, month(m)?, y.parse().ok()?, *t),
        _ => return None,
    };
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, mi, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    if year < 1970 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let (y, m) = if mon <= 2 {
        (year - 1, mon + 9)
    } else {
        (year, mon - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3_600 + mi * 60 + s)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Client {
    /// Replace the token wherever it might appear (it never should) with `***`.
    pub(super) fn redact(&self, text: &str) -> String {
        if self.token.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.token, "***")
        }
    }

    fn authorization(&self) -> String {
        match self.kind {
            ForgeKind::Gitea => format!("token {}", self.token),
            _ => format!("Bearer {}", self.token),
        }
    }

    /// One attempt: `url` is absolute, `body` is sent as `content_type`.
    fn once(
        &self,
        method: Method,
        url: &str,
        content_type: &str,
        body: Option<&[u8]>,
    ) -> Result<Reply, ureq::Error> {
        let auth = self.authorization();
        let result = match method {
            Method::Get | Method::Delete => {
                let mut req = if method == Method::Get {
                    self.agent.get(url)
                } else {
                    self.agent.delete(url)
                }
                .header("Authorization", &auth);
                if self.kind == ForgeKind::Github {
                    req = req.header("X-GitHub-Api-Version", "2022-11-28");
                }
                req.call()
            }
            Method::Post | Method::Patch => {
                let mut req = if method == Method::Post {
                    self.agent.post(url)
                } else {
                    self.agent.patch(url)
                }
                .header("Authorization", &auth)
                .content_type(content_type);
                if self.kind == ForgeKind::Github {
                    req = req.header("X-GitHub-Api-Version", "2022-11-28");
                }
                req.send(body.unwrap_or(b"{}"))
            }
        };
        let mut resp = result?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after_secs(v, now()));
        let rate_remaining = header_u64(&resp, "x-ratelimit-remaining");
        let rate_reset = header_u64(&resp, "x-ratelimit-reset");
        let text = resp
            .body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_string()
            .unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            json,
            retry_after,
            rate_remaining,
            rate_reset,
            attempts: 1,
            wait_refused: None,
        })
    }

    /// Send a request, retrying 5xx, rate limits and transient network errors as the retry
    /// policy says. Returns the last answer whatever its status (callers decide what is
    /// expected); an error only when the server could not be reached.
    pub(super) fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        let url = format!("{}{path}", self.api_url);
        self.send(method, &url, path, "application/json", bytes.as_deref())
    }

    /// [`Client::request`] of an absolute `url` (an upload endpoint) with a raw body of
    /// `content_type`, retried the same way; `path` names it in logs and errors.
    pub(super) fn send(
        &self,
        method: Method,
        url: &str,
        path: &str,
        content_type: &str,
        bytes: Option<&[u8]>,
    ) -> anyhow::Result<Reply> {
        let attempts = self.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            match self.once(method, url, content_type, bytes) {
                Ok(mut reply) => {
                    reply.attempts = attempt;
                    tracing::debug!(
                        "forge: {} {path} → {} (attempt {attempt})",
                        method.as_str(),
                        reply.status
                    );
                    match verdict(&reply, attempt - 1, &self.retry, now()) {
                        Verdict::Retry(wait) if attempt < attempts => {
                            tracing::info!(
                                "forge: {} {path} answered {}; retrying in {wait:?}",
                                method.as_str(),
                                reply.status
                            );
                            std::thread::sleep(wait);
                            attempt += 1;
                        }
                        Verdict::TooLong(wait) => {
                            reply.wait_refused = Some(wait);
                            return Ok(reply);
                        }
                        _ => return Ok(reply),
                    }
                }
                Err(err) if transient(&err) && attempt < attempts => {
                    let wait = self.retry.backoff(attempt - 1);
                    tracing::info!(
                        "forge: {} {path} failed ({}); retrying in {wait:?}",
                        method.as_str(),
                        self.redact(&err.to_string())
                    );
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                Err(err) => return Err(self.network_error(method, path, attempt, &err)),
            }
        }
    }

    /// The error for a server that could not be reached.
    pub(super) fn network_error(
        &self,
        method: Method,
        path: &str,
        attempts: u32,
        err: &ureq::Error,
    ) -> anyhow::Error {
        let tries = if attempts > 1 {
            format!(" after {attempts} attempts")
        } else {
            String::new()
        };
        let message = format!(
            "Could not reach {} at {} for {} {path}{tries}: {err}",
            forge_name(self.kind),
            self.api_url,
            method.as_str(),
        );
        let hint = "Check the network and the API URL (forge.api_url, else GITHUB_API_URL); \
                    a proxy is taken from HTTPS_PROXY / ALL_PROXY. Running the command again \
                    resumes where it stopped";
        UserError::failure(self.redact(&message))
            .with_hint(self.redact(hint))
            .into()
    }

    /// The error for an answer the call cannot go on with. `repo` is `owner/repo`.
    pub(super) fn status_error(
        &self,
        method: Method,
        path: &str,
        repo: &str,
        reply: &Reply,
    ) -> anyhow::Error {
        let forge = forge_name(self.kind);
        let reason = ureq::http::StatusCode::from_u16(reply.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let var = &self.token_var;
        let api = &self.api_url;
        let tries = if reply.attempts > 1 {
            format!(" (after {} attempts)", reply.attempts)
        } else {
            String::new()
        };
        let (what, hint) = if reply.rate_limited() {
            let what = match reply.wait_refused {
                Some(wait) => format!(
                    "the rate limit for the token in {var} is reached, and {forge} asks to wait \
                     {} s (more than the {} s this tool waits)",
                    wait.as_secs(),
                    self.retry.max_wait.as_secs()
                ),
                None => format!("the rate limit for the token in {var} is reached{tries}"),
            };
            (
                what,
                "Wait for the limit to reset and run the command again: it resumes where it \
                 stopped"
                    .to_owned(),
            )
        } else {
            match reply.status {
                401 => (
                    format!("the token in {var} was rejected"),
                    format!(
                        "Check that {var} holds a valid, unexpired token of {api} that may \
                         write to {repo} ({})",
                        scopes(self.kind)
                    ),
                ),
                403 => (
                    format!("the token in {var} may not do this on {repo}"),
                    format!(
                        "Give the token in {var} write access to {repo} ({})",
                        scopes(self.kind)
                    ),
                ),
                404 => (
                    format!("{repo} was not found at {api}, or the token in {var} cannot see it"),
                    "Check the repository (set `repository = \"owner/repo\"` under \
                     [tool.release_tool.packages.<name>] when the remote URL does not say it), \
                     the API URL (GitHub Enterprise: https://HOST/api/v3; Gitea: \
                     https://HOST/api/v1) and that the token can read the repository"
                        .to_owned(),
                ),
                409 | 422 => (
                    format!("{repo} refused the request"),
                    "The message says which field is wrong; a release needs its tag pushed \
                     first, a pull request needs both branches pushed and different"
                        .to_owned(),
                ),
                s if s >= 500 => (
                    match reply.wait_refused {
                        Some(wait) => format!(
                            "the server failed and asks to wait {} s (more than the {} s this \
                             tool waits)",
                            wait.as_secs(),
                            self.retry.max_wait.as_secs()
                        ),
                        None => format!("the server failed{tries}"),
                    },
                    format!(
                        "{forge} is having trouble; run the command again later: it resumes \
                         where it stopped"
                    ),
                ),
                _ => (
                    format!("unexpected answer for {repo}"),
                    "Check the API URL and the forge kind ([tool.release_tool.forge])".to_owned(),
                ),
            }
        };
        let said = reply
            .message()
            .map(|m| format!(" ({forge} says: {m})"))
            .unwrap_or_default();
        let message = format!(
            "{forge} answered {} {reason} for {} {path} at {api}: {what}{said}",
            reply.status,
            method.as_str(),
        );
        UserError::failure(self.redact(&message))
            .with_hint(self.redact(&hint))
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, json: Value) -> Reply {
        Reply {
            status,
            json,
            attempts: 1,
            ..Reply::default()
        }
    }

    const FAST: RetryPolicy = RetryPolicy {
        attempts: 4,
        base_delay: Duration::from_millis(10),
        max_wait: Duration::from_mins(1),
    };

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0), Duration::from_secs(1));
        assert_eq!(p.backoff(1), Duration::from_secs(2));
        assert_eq!(p.backoff(2), Duration::from_secs(4));
        assert_eq!(p.backoff(10), Duration::from_mins(1));
        assert_eq!(p.backoff(u32::MAX), Duration::from_mins(1));
        assert_eq!(FAST.backoff(3), Duration::from_millis(80));
    }

    #[test]
    fn verdicts() {
        let v = |r: &Reply, retry| verdict(r, retry, &FAST, 1_000);
        assert_eq!(v(&reply(200, Value::Null), 0), Verdict::Done);
        assert_eq!(v(&reply(404, Value::Null), 0), Verdict::Done);
        assert_eq!(v(&reply(422, Value::Null), 0), Verdict::Done);
        assert_eq!(
            v(
                &reply(401, serde_json::json!({"message": "Bad credentials"})),
                0
            ),
            Verdict::Done
        );
        // A plain 403 is a permission problem, not a rate limit.
        assert_eq!(
            v(
                &reply(
                    403,
                    serde_json::json!({"message": "Resource not accessible"})
                ),
                0
            ),
            Verdict::Done
        );
        assert_eq!(
            v(&reply(500, Value::Null), 0),
            Verdict::Retry(Duration::from_millis(10))
        );
        assert_eq!(
            v(&reply(502, Value::Null), 2),
            Verdict::Retry(Duration::from_millis(40))
        );
        let mut r = reply(429, Value::Null);
        assert_eq!(v(&r, 0), Verdict::Retry(Duration::from_millis(10)));
        r.retry_after = Some(3);
        assert_eq!(v(&r, 0), Verdict::Retry(Duration::from_secs(3)));
        r.retry_after = Some(0);
        assert_eq!(v(&r, 1), Verdict::Retry(Duration::ZERO));
        r.retry_after = Some(3600);
        assert_eq!(v(&r, 0), Verdict::TooLong(Duration::from_hours(1)));
        // GitHub's secondary rate limit: 403 with retry-after, or remaining 0 with a reset.
        let mut r = reply(403, serde_json::json!({"message": "secondary rate limit"}));
        assert_eq!(v(&r, 0), Verdict::Retry(Duration::from_millis(10)));
        r.retry_after = Some(5);
        assert_eq!(v(&r, 0), Verdict::Retry(Duration::from_secs(5)));
        let mut r = reply(403, Value::Null);
        r.rate_remaining = Some(0);
        r.rate_reset = Some(1_030);
        assert_eq!(v(&r, 0), Verdict::Retry(Duration::from_secs(30)));
        r.rate_reset = Some(900);
        assert_eq!(v(&r, 0), Verdict::Retry(Duration::ZERO));
        r.rate_reset = Some(5_000);
        assert_eq!(v(&r, 0), Verdict::TooLong(Duration::from_secs(4_000)));
        // 503 with Retry-After honours it.
        let mut r = reply(503, Value::Null);
        r.retry_after = Some(2);
        assert_eq!(v(&r, 0), Verdict::Retry(Duration::from_secs(2)));
    }

    #[test]
    fn messages_and_already_exists() {
        let r = reply(
            422,
            serde_json::json!({"message": "Validation Failed", "errors": [
                {"resource": "Release", "code": "already_exists", "field": "tag_name"}]}),
        );
        assert_eq!(
            r.message().unwrap(),
            "Validation Failed; tag_name: already_exists"
        );
        assert!(r.already_exists());
        let r = reply(
            422,
            serde_json::json!({"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "code": "custom",
                 "message": "A pull request already exists for acme:dev_branch."}]}),
        );
        assert!(r.already_exists());
        let r = reply(
            422,
            serde_json::json!({"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "code": "custom",
                 "message": "No commits between main and dev_branch"}]}),
        );
        assert!(!r.already_exists());
        assert!(reply(409, serde_json::json!({"message": "conflict"})).already_exists());
        assert!(!reply(404, Value::Null).already_exists());
        assert_eq!(reply(500, Value::Null).message(), None);
        let long = reply(422, serde_json::json!({"message": "x".repeat(1000)}));
        assert_eq!(long.message().unwrap().chars().count(), 301);
    }

    #[test]
    fn retry_after_as_seconds_or_an_http_date() {
        // 1994-11-06 08:49:37 UTC.
        let at = 784_111_777;
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(http_date(date), Some(at), "{date}");
            assert_eq!(retry_after_secs(date, at - 90), Some(90), "{date}");
            // A date in the past: no wait.
            assert_eq!(retry_after_secs(date, at + 5), Some(0), "{date}");
        }
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(1_835_481_599)
        );
        assert_eq!(retry_after_secs(" 120 ", 0), Some(120));
        for bad in [
            "",
            "soon",
            "-1",
            "1.5",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
        ] {
            assert_eq!(retry_after_secs(bad, 0), None, "{bad:?}");
        }
        // The verdict waits what the date asks for.
        let mut r = reply(429, Value::Null);
        r.retry_after = retry_after_secs("Sun, 06 Nov 1994 08:49:40 GMT", at);
        assert_eq!(
            verdict(&r, 0, &FAST, at),
            Verdict::Retry(Duration::from_secs(3))
        );
    }

    #[test]
    fn encoding() {
        assert_eq!(encode("v1.2.3"), "v1.2.3");
        assert_eq!(encode("alpha/v1.0+local"), "alpha%2Fv1.0%2Blocal");
        assert_eq!(encode("acme:dev branch"), "acme%3Adev%20branch");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
