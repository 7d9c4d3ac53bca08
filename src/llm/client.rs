//! The OpenAI-compatible chat completions client: `POST {base_url}/chat/completions`, with
//! retries on 429/5xx and errors that name the endpoint and the key's variable, never the key.

use std::time::Duration;

use crate::config::LlmConfig;
use crate::core::error::{ExitKind, UserError};

/// Sampling temperature: low, for factual summaries.
pub const TEMPERATURE: f64 = 0.2;

/// The environment variable that sets the first retry delay in milliseconds (for tests; the
/// default is one second).
pub const RETRY_BASE_ENV: &str = "RELEASE_TOOL_LLM_RETRY_BASE_MS";

/// How long one request may take (local models on a CPU are slow).
const REQUEST_TIMEOUT: Duration = Duration::from_mins(5);

/// When and how long to wait before trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included).
    pub attempts: u32,
    /// The delay after the first failure; it doubles after each further one.
    pub base: Duration,
    /// No delay is longer, whatever `Retry-After` asks for.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::with_base(Duration::from_secs(1))
    }
}

impl RetryPolicy {
    /// Four attempts; delays `base`, `2 × base`, `4 × base`, each at most `20 × base`.
    pub fn with_base(base: Duration) -> Self {
        Self {
            attempts: 4,
            base,
            max: base * 20,
        }
    }

    /// The policy, with the base delay from [`RETRY_BASE_ENV`] when it is set.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        env(RETRY_BASE_ENV)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or_else(Self::default, |ms| {
                Self::with_base(Duration::from_millis(ms))
            })
    }

    /// The wait after failed attempt number `attempt` (1-based): `Retry-After` seconds when the
    /// server sent them, else exponential backoff; capped at `max`.
    pub fn delay(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        let asked = retry_after
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        let backoff = self
            .base
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        asked.unwrap_or(backoff).min(self.max)
    }
}

/// Whether a status is worth another try.
pub fn retryable(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// The endpoint of a configuration: `{base_url}/chat/completions`.
pub fn endpoint(cfg: &LlmConfig) -> String {
    format!("{}/chat/completions", cfg.base_url.trim_end_matches('/'))
}

/// An answer of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub text: String,
    /// The model stopped at its length limit (`finish_reason = "length"`).
    pub truncated: bool,
}

/// A failed request: the error, and whether the other requests of the run should be given up
/// (a rejected key, a wrong endpoint, a service that stays down).
#[derive(Debug)]
pub struct CallError {
    pub error: UserError,
    pub fatal: bool,
}

/// The client. The key is read from the environment when it is made and is never printed.
pub struct Client {
    pub endpoint: String,
    pub model: String,
    /// The environment variable the key came from (named in errors; the key never is).
    pub key_var: String,
    key: String,
    pub retry: RetryPolicy,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("key_var", &self.key_var)
            .field("key", &"***")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Why `--llm` cannot run: no key (exit 2). `None` when the key is set.
pub fn missing_key(cfg: &LlmConfig, env: &dyn Fn(&str) -> Option<String>) -> Option<UserError> {
    if env(&cfg.api_key_env).is_some_and(|k| !k.trim().is_empty()) {
        return None;
    }
    let var = &cfg.api_key_env;
    Some(
        UserError::usage(format!(
            "No API key for the LLM: the environment variable {var} (llm.api_key_env) is not set or empty"
        ))
        .with_hint(format!(
            "export {var}=<your key> (a local server without keys takes any value), or set \
             [tool.release_tool.llm] api_key_env; without --llm the change files and prompt.md \
             are written for you to paste into a chat"
        )),
    )
}

impl Client {
    /// The client for a configuration; a usage error when the key is missing or `base_url` is
    /// not an http(s) URL. `env` reads environment variables (tests pass their own).
    pub fn from_config(
        cfg: &LlmConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, UserError> {
        let base = cfg.base_url.trim();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(UserError::usage(format!(
                "llm.base_url `{base}` is not an http:// or https:// URL"
            ))
            .with_hint(
                "set [tool.release_tool.llm] base_url, e.g. \"https://api.openai.com/v1\"",
            ));
        }
        if let Some(e) = missing_key(cfg, env) {
            return Err(e);
        }
        let key = env(&cfg.api_key_env).unwrap_or_default().trim().to_owned();
        if key.chars().any(char::is_control) {
            return Err(UserError::usage(format!(
                "The API key in {} contains a control character (a line break?)",
                cfg.api_key_env
            ))
            .with_hint(format!("set {} to the key alone", cfg.api_key_env)));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(Duration::from_secs(15)))
            .user_agent(format!("release-tool/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            endpoint: endpoint(cfg),
            model: cfg.model.clone(),
            key_var: cfg.api_key_env.clone(),
            key,
            retry: RetryPolicy::from_env(env),
            agent: ureq::Agent::new_with_config(config),
        })
    }

    /// The key, for masking it wherever it might show up.
    pub fn secret(&self) -> &str {
        &self.key
    }

    /// The request body.
    pub fn body(&self, system: &str, user: &str) -> serde_json::Value {
        serde_json::json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "temperature": TEMPERATURE,
        })
    }

    /// Ask for one completion. `on_retry` hears about each retry (a line for the user).
    pub fn complete(
        &self,
        package: &str,
        system: &str,
        user: &str,
        on_retry: &(dyn Fn(&str) + Sync),
    ) -> Result<Answer, CallError> {
        let body = self.body(system, user).to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.attempts;
            let sent = self
                .agent
                .post(&self.endpoint)
                .header("Authorization", &format!("Bearer {}", self.key))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .send(body.as_bytes());
            match sent {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let text = response.body_mut().read_to_string().unwrap_or_default();
                    if (200..300).contains(&status) {
                        return self.parse(package, &text);
                    }
                    if retryable(status) && !last {
                        let wait = self.retry.delay(attempt, retry_after.as_deref());
                        on_retry(&format!(
                            "{package}: the LLM endpoint answered {}; retrying in {} (attempt {} of {})",
                            status_text(status),
                            seconds(wait),
                            attempt + 1,
                            self.retry.attempts
                        ));
                        std::thread::sleep(wait);
                        continue;
                    }
                    return Err(self.status_error(package, status, &text, attempt));
                }
                Err(ureq::Error::Timeout(_)) => {
                    return Err(CallError {
                        error: UserError::failure(format!(
                            "LLM request for {package} failed: POST {} did not answer within {}",
                            self.endpoint,
                            seconds(REQUEST_TIMEOUT)
                        ))
                        .with_hint(
                            "the model may be overloaded or the prompt too large: lower \
                             llm.max_diff_bytes, or run the command again later",
                        ),
                        fatal: false,
                    });
                }
                Err(e) => {
                    if !last {
                        let wait = self.retry.delay(attempt, None);
                        on_retry(&format!(
                            "{package}: cannot reach the LLM endpoint ({}); retrying in {} (attempt {} of {})",
                            self.sanitize(&e.to_string()),
                            seconds(wait),
                            attempt + 1,
                            self.retry.attempts
                        ));
                        std::thread::sleep(wait);
                        continue;
                    }
                    return Err(CallError {
                        error: UserError::failure(format!(
                            "LLM request for {package} failed: cannot reach POST {} after {attempt} attempts: {}",
                            self.endpoint,
                            self.sanitize(&e.to_string())
                        ))
                        .with_hint(
                            "check [tool.release_tool.llm] base_url and your network or proxy \
                             (HTTPS_PROXY)",
                        ),
                        fatal: true,
                    });
                }
            }
        }
    }

    fn parse(&self, package: &str, text: &str) -> Result<Answer, CallError> {
        let bad = |what: &str| CallError {
            error: UserError::failure(format!(
                "LLM request for {package} failed: POST {} answered {what}",
                self.endpoint
            ))
            .with_hint(
                "base_url must point to an OpenAI-compatible API (…/v1); check llm.base_url and \
                 llm.model",
            ),
            fatal: false,
        };
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|_| bad("something that is not JSON"))?;
        let choice = &json["choices"][0];
        let content = choice["message"]["content"]
            .as_str()
            .ok_or_else(|| bad("without a message (no choices[0].message.content)"))?;
        let cleaned = clean_answer(content);
        if cleaned.trim().is_empty() {
            return Err(bad("with an empty message"));
        }
        Ok(Answer {
            // A model that echoes the key must not get it into a file.
            text: if self.key.is_empty() {
                cleaned
            } else {
                cleaned.replace(&self.key, super::redact::MASK)
            },
            truncated: choice["finish_reason"].as_str() == Some("length"),
        })
    }

    fn status_error(&self, package: &str, status: u16, body: &str, attempts: u32) -> CallError {
        let server = server_message(body)
            .map(|m| format!(" ({})", self.sanitize(&m)))
            .unwrap_or_default();
        let head = format!(
            "LLM request for {package} failed: POST {} answered {}",
            self.endpoint,
            status_text(status)
        );
        let var = &self.key_var;
        let (kind, message, hint, fatal) = match status {
            401 => (
                ExitKind::Usage,
                format!("{head}: the API key in {var} was rejected{server}"),
                format!(
                    "check the key in {var} (llm.api_key_env) and that llm.base_url is the service \
                     the key belongs to"
                ),
                true,
            ),
            403 => (
                ExitKind::Usage,
                format!(
                    "{head}: the key in {var} may not use this endpoint or model `{}`{server}",
                    self.model
                ),
                "check the key's permissions, llm.model and llm.base_url".to_owned(),
                true,
            ),
            404 => (
                ExitKind::Usage,
                format!(
                    "{head}: no chat completions endpoint there, or no model `{}`{server}",
                    self.model
                ),
                "llm.base_url is the API base without /chat/completions (e.g. \
                 https://api.openai.com/v1 or http://localhost:11434/v1); check llm.model"
                    .to_owned(),
                true,
            ),
            s if retryable(s) => (
                ExitKind::Failure,
                format!("{head} after {attempts} attempts{server}"),
                "the service is busy or down: run the command again later (messages already \
                 written are kept), or paste release_tool/changes/prompt.md into a chat"
                    .to_owned(),
                true,
            ),
            _ => (
                ExitKind::Failure,
                format!("{head}{server}"),
                "check llm.model; a smaller llm.max_diff_bytes makes smaller requests".to_owned(),
                false,
            ),
        };
        let error = match kind {
            ExitKind::Usage => UserError::usage(message),
            _ => UserError::failure(message),
        }
        .with_hint(hint);
        CallError { error, fatal }
    }

    /// `text` with the key (and anything that looks like a secret) masked.
    fn sanitize(&self, text: &str) -> String {
        let text = if self.key.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.key, super::redact::MASK)
        };
        super::redact::mask_secrets(&text, None, &[]).0
    }
}

/// `401 Unauthorized`.
fn status_text(status: u16) -> String {
    let reason = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    if reason.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("{status} {reason}")
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{} ms", d.as_millis())
    } else if (s - s.round()).abs() < 1e-9 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// The server's own words: `error.message` of an OpenAI-style error, else the start of the
/// body (one line, at most 300 characters).
fn server_message(body: &str) -> Option<String> {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v["error"]["message"]
                .as_str()
                .or_else(|| v["error"].as_str())
                .or_else(|| v["message"].as_str())
                .or_else(|| v["detail"].as_str())
                .map(str::to_owned)
        });
    let text = from_json.unwrap_or_else(|| body.to_owned());
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return None;
    }
    let mut short: String = line.chars().take(300).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    Some(short)
}

/// The message in a model's answer: without a leading `<think>…</think>` block (reasoning
/// models) and without a code fence around the whole answer; one final newline.
pub fn clean_answer(text: &str) -> String {
    let mut t = text.trim();
    if let Some(rest) = t.strip_prefix("<think>")
        && let Some(end) = rest.find("</think>")
    {
        t = rest[end + "</think>".len()..].trim();
    }
    if t.starts_with("```") && t.ends_with("```") && t.len() >= 6 {
        let inner = &t[3..t.len() - 3];
        // Drop the info string (```markdown).
        let inner = inner.split_once('\n').map_or("", |(first, rest)| {
            if first
                .trim()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                rest
            } else {
                inner
            }
        });
        t = inner.trim();
    }
    let mut out = t.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_back_off_and_honour_retry_after_up_to_the_cap() {
        let p = RetryPolicy::with_base(Duration::from_millis(100));
        assert_eq!(p.delay(1, None), Duration::from_millis(100));
        assert_eq!(p.delay(2, None), Duration::from_millis(200));
        assert_eq!(p.delay(3, None), Duration::from_millis(400));
        assert_eq!(p.delay(30, None), Duration::from_secs(2), "capped");
        assert_eq!(p.delay(1, Some("1")), Duration::from_secs(1));
        assert_eq!(p.delay(1, Some(" 0.5 ")), Duration::from_millis(500));
        assert_eq!(p.delay(1, Some("3600")), Duration::from_secs(2), "capped");
        assert_eq!(
            p.delay(2, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            Duration::from_millis(200),
            "an HTTP date falls back to backoff"
        );
        assert_eq!(p.delay(1, Some("-1")), Duration::from_millis(100));
        let d = RetryPolicy::default();
        assert_eq!(
            (d.attempts, d.base, d.max),
            (4, Duration::from_secs(1), Duration::from_secs(20))
        );
        let env = |k: &str| (k == RETRY_BASE_ENV).then(|| "5".to_owned());
        assert_eq!(RetryPolicy::from_env(&env).base, Duration::from_millis(5));
        assert!(retryable(429) && retryable(500) && retryable(503));
        assert!(!retryable(400) && !retryable(401) && !retryable(404));
    }

    #[test]
    fn answers_lose_think_blocks_fences_and_trailing_space() {
        assert_eq!(clean_answer("  feat: x  \n\nbody  \n"), "feat: x\n\nbody\n");
        assert_eq!(
            clean_answer("<think>hmm\nok</think>\n\nfix: y\n"),
            "fix: y\n"
        );
        assert_eq!(clean_answer("```\nfeat: z\n```"), "feat: z\n");
        assert_eq!(
            clean_answer("```markdown\nRelease {VERSION}\n\n- a\n```\n"),
            "Release {VERSION}\n\n- a\n"
        );
        assert_eq!(clean_answer("Use ``` fences ```"), "Use ``` fences ```\n");
    }

    #[test]
    fn client_needs_a_key_and_an_http_url_and_never_shows_the_key() {
        let cfg = LlmConfig::default();
        let none = |_: &str| None;
        let err = Client::from_config(&cfg, &none).unwrap_err();
        assert_eq!(err.kind, ExitKind::Usage);
        assert!(err.message.contains("OPENAI_API_KEY"), "{}", err.message);
        let env =
            |k: &str| (k == "OPENAI_API_KEY").then(|| " sk-secret-0123456789abcdef \n".to_owned());
        let client = Client::from_config(&cfg, &env).unwrap();
        assert_eq!(client.secret(), "sk-secret-0123456789abcdef");
        assert_eq!(
            client.endpoint,
            "https://api.openai.com/v1/chat/completions"
        );
        assert!(!format!("{client:?}").contains("sk-secret"));
        let body = client.body("s", "u");
        assert_eq!(body["model"], "gpt-4o-mini");
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["content"], "u");
        let bad = LlmConfig {
            base_url: "api.openai.com/v1".to_owned(),
            ..LlmConfig::default()
        };
        assert!(
            Client::from_config(&bad, &env)
                .unwrap_err()
                .message
                .contains("llm.base_url")
        );
        // Error texts from the server are masked.
        let e = client.status_error(
            "core-utils",
            401,
            r#"{"error": {"message": "Incorrect API key provided: sk-secret-0123456789abcdef"}}"#,
            1,
        );
        assert!(e.fatal);
        assert!(
            !e.error.message.contains("sk-secret"),
            "{}",
            e.error.message
        );
        assert!(
            e.error.message.contains("OPENAI_API_KEY"),
            "{}",
            e.error.message
        );
        assert!(
            e.error
                .message
                .contains("https://api.openai.com/v1/chat/completions")
        );
        let e = client.status_error("core-utils", 400, "<html>\n  bad\n</html>", 1);
        assert!(!e.fatal);
        assert!(
            e.error
                .message
                .ends_with("answered 400 Bad Request (<html> bad </html>)"),
            "{}",
            e.error.message
        );
    }

    #[test]
    fn parse_reads_the_first_choice() {
        let env = |_: &str| Some("k".to_owned());
        let client = Client::from_config(&LlmConfig::default(), &env).unwrap();
        let ok = client
            .parse(
                "p",
                r#"{"choices":[{"message":{"role":"assistant","content":"feat: a\n"},"finish_reason":"length"}]}"#,
            )
            .unwrap();
        assert_eq!(
            ok,
            Answer {
                text: "feat: a\n".to_owned(),
                truncated: true
            }
        );
        for bad in [
            "nope",
            r#"{"choices":[]}"#,
            r#"{"choices":[{"message":{"content":"  "}}]}"#,
        ] {
            assert!(client.parse("p", bad).is_err(), "{bad}");
        }
    }
}
