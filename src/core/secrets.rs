//! Secrets never shown (docs/reference.md §5: tokens and API keys never appear in any output, log, plan or
//! journal).
//!
//! Two kinds of secret are masked wherever text leaves the process (stdout, stderr, logs, the
//! journal, panic messages):
//!
//! - **known values**: the values of the environment variables that hold tokens and keys: the
//!   built-in ones ([`BUILTIN_VARS`]), the ones the configuration names (`forge.token_env`,
//!   `llm.api_key_env`, `docker.secret_env`) and any variable whose name says it holds a secret
//!   (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*API_KEY*`, ...; see [`is_secret_name`]). Each is
//!   replaced by [`REDACTED`], also in its JSON-escaped form;
//! - **credentials in URLs**: `scheme://user:password@host` keeps the user and loses the
//!   password; an `http(s)` URL loses its whole user part (`https://<token>@github.com` is how
//!   tokens are put in remote URLs), so `https://x-access-token:ghp_…@github.com/o/r` is shown as
//!   `https://***@github.com/o/r`. `ssh://git@host` is left alone.
//!
//! The registry is process-wide: [`init_from_env`] runs first thing in `main_entry`, and
//! [`crate::config::Config::register_secrets`] when a configuration is loaded. [`install_panic_hook`] makes panic
//! messages go through [`redact`] as well.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::RwLock;

/// What a secret is replaced with.
pub const REDACTED: &str = "***";

/// Variables that hold tokens and keys whatever the configuration says.
pub const BUILTIN_VARS: &[&str] = &[
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITEA_TOKEN",
    "OPENAI_API_KEY",
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_PASSWORD",
];

/// Values shorter than this are never treated as secrets (masking `abc` everywhere would garble
/// output and protect nothing).
const MIN_LEN: usize = 6;
/// Variables picked by their name alone need a value at least this long.
const MIN_LEN_BY_NAME: usize = 8;

/// Known secret values, longest first (so a secret that contains another is masked whole).
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Whether a variable's name says it holds a secret: it contains `TOKEN`, `SECRET`,
/// `PASSWORD`, `PASSWD`, `API_KEY`, `APIKEY`, `ACCESS_KEY`, `PRIVATE_KEY` or `CREDENTIAL`
/// (case-insensitive).
pub fn is_secret_name(name: &str) -> bool {
    const PARTS: &[&str] = &[
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
    ];
    let upper = name.to_ascii_uppercase();
    PARTS.iter().any(|p| upper.contains(p))
}

/// Remember `value` as a secret (ignored when shorter than 6 characters once trimmed).
pub fn register(value: &str) {
    for value in [value, value.trim()] {
        if value.chars().count() < MIN_LEN {
            continue;
        }
        let Ok(mut secrets) = SECRETS.write() else {
            return;
        };
        if !secrets.iter().any(|s| s == value) {
            secrets.push(value.to_owned());
            secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        }
    }
}

/// Remember the values of these environment variables.
pub fn register_env<'a>(names: impl IntoIterator<Item = &'a str>) {
    for name in names {
        if let Some(value) = std::env::var_os(name) {
            register(&value.to_string_lossy());
        }
    }
}

/// Remember the values of [`BUILTIN_VARS`] and of every variable [`is_secret_name`] picks.
pub fn init_from_env() {
    register_env(BUILTIN_VARS.iter().copied());
    for (name, value) in std::env::vars_os() {
        let (name, value) = (name.to_string_lossy(), value.to_string_lossy());
        if is_secret_name(&name) && value.trim().chars().count() >= MIN_LEN_BY_NAME {
            register(&value);
        }
    }
}

/// The known secret values (tests and the LLM masking use them).
pub fn known() -> Vec<String> {
    SECRETS.read().map(|s| s.clone()).unwrap_or_default()
}

/// `text` with every known secret value and every credential in a URL replaced by
/// [`REDACTED`]. Borrowed when there is nothing to mask (the common case).
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            for form in forms(secret) {
                if out.contains(form.as_ref()) {
                    out = Cow::Owned(out.replace(form.as_ref(), REDACTED));
                }
            }
        }
    }
    match mask_url_credentials(&out) {
        Cow::Borrowed(_) => out,
        Cow::Owned(masked) => Cow::Owned(masked),
    }
}

/// [`redact`] for bytes that may not be UTF-8 (a user command's output): known values are
/// replaced byte-wise; URL credentials only in valid UTF-8.
pub fn redact_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return match redact(text) {
            Cow::Borrowed(_) => Cow::Borrowed(bytes),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
    }
    let mut out = Cow::Borrowed(bytes);
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            let needle = secret.as_bytes();
            if find(&out, needle).is_some() {
                out = Cow::Owned(replace_bytes(&out, needle, REDACTED.as_bytes()));
            }
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(i) = find(rest, needle) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(with);
        rest = &rest[i + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// A secret as it is written raw and as it appears inside a JSON string.
fn forms(secret: &str) -> Vec<Cow<'_, str>> {
    let mut forms = vec![Cow::Borrowed(secret)];
    if let Ok(json) = serde_json::to_string(secret) {
        let inner = &json[1..json.len() - 1];
        if inner != secret {
            forms.push(Cow::Owned(inner.to_owned()));
        }
    }
    forms
}

/// Mask the credentials of every `scheme://userinfo@host` in `text` (see the module docs).
pub fn mask_url_credentials(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let sep = search + found;
        let authority_start = sep + 3;
        search = authority_start;
        let scheme_start = text[..sep]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')))
            .map_or(0, |i| i + 1);
        let scheme = &text[scheme_start..sep];
        if scheme.is_empty() {
            continue;
        }
        let authority_len = text[authority_start..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '\'' | '"' | '`' | '<' | '>')
            })
            .unwrap_or(text.len() - authority_start);
        let authority = &text[authority_start..authority_start + authority_len];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at];
        if userinfo.is_empty() || userinfo == REDACTED {
            continue;
        }
        let is_http = scheme.to_ascii_lowercase().ends_with("http")
            || scheme.to_ascii_lowercase().ends_with("https");
        let replacement = match userinfo.split_once(':') {
            Some((_, password)) if password == REDACTED => continue,
            _ if is_http => REDACTED.to_owned(),
            Some((user, _)) => format!("{user}:{REDACTED}"),
            None => continue,
        };
        out.push_str(&text[copied..authority_start]);
        out.push_str(&replacement);
        copied = authority_start + at;
        search = authority_start + authority_len;
    }
    if copied == 0 {
        Cow::Borrowed(text)
    } else {
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }
}

/// A URL without its user part (`https://user:tok@host/x` → `https://host/x`), for URLs the
/// tool writes into files (pins in manifests, image labels): credentials belong in git's
/// credential helpers, never in a committed file.
pub fn strip_url_credentials(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{scheme}://{}", &rest[at + 1..]);
        }
    }
    url.to_owned()
}

/// Print panics through [`redact`]: a panic message that carries a token (an error value, a
/// URL) is masked like any other output. The message says it is a bug and where to report it;
/// `RUST_BACKTRACE=1` adds the (redacted) backtrace.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        let mut text = format!(
            "release-tool panicked (thread '{name}'){location}: {message}\n\
             This is a bug in release-tool: please report it with the command you ran."
        );
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            let _ = write!(text, "\n{backtrace}");
        }
        eprintln!("{}", redact(&text));
    }));
}

/// In debug builds only, `RELEASE_TOOL_TEST_PANIC=<message>` panics with that message (the
/// redaction test proves panic messages are masked). Release builds have no such hook: it is
/// compiled only with `cfg(debug_assertions)`, like `plan::executor::crash_hook`.
#[cfg(debug_assertions)]
pub fn test_panic_hook() {
    if let Some(message) = std::env::var_os("RELEASE_TOOL_TEST_PANIC") {
        panic!("{}", message.to_string_lossy());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_known_values_and_their_json_form() {
        register("sekrit-\"quoted\"-value");
        register("short");
        let text = "a sekrit-\"quoted\"-value and {\"k\":\"sekrit-\\\"quoted\\\"-value\"} short";
        assert_eq!(redact(text), "a *** and {\"k\":\"***\"} short");
        assert!(known().iter().all(|s| s != "short"));
    }

    #[test]
    fn masks_credentials_in_urls() {
        for (input, expected) in [
            (
                "fatal: https://x-access-token:ghp_abc@github.com/o/r.git failed",
                "fatal: https://***@github.com/o/r.git failed",
            ),
            (
                "remote https://ghp_tokenonly@github.com/o/r",
                "remote https://***@github.com/o/r",
            ),
            (
                "git+https://u:p@host/x and ssh://git@host/o/r.git",
                "git+https://***@host/x and ssh://git@host/o/r.git",
            ),
            (
                "ssh://deploy:hunter2@host:22/r",
                "ssh://deploy:***@host:22/r",
            ),
            ("'https://user:pw@h'", "'https://***@h'"),
            ("mailto:a@b https://h/x@y", "mailto:a@b https://h/x@y"),
            ("git@github.com:o/r.git", "git@github.com:o/r.git"),
            ("nothing here ://@", "nothing here ://@"),
            (
                "https://***@h https://u:***@h",
                "https://***@h https://u:***@h",
            ),
        ] {
            assert_eq!(mask_url_credentials(input), expected, "{input}");
        }
        assert!(matches!(
            mask_url_credentials("plain text"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn strips_credentials_from_urls() {
        assert_eq!(
            strip_url_credentials("https://user:tok@github.com/acme/x.git"),
            "https://github.com/acme/x.git"
        );
        assert_eq!(
            strip_url_credentials("git@github.com:acme/x.git"),
            "git@github.com:acme/x.git"
        );
        assert_eq!(
            strip_url_credentials("https://github.com/a@b"),
            "https://github.com/a@b"
        );
    }

    #[test]
    fn secret_names() {
        for name in [
            "GITHUB_TOKEN",
            "uv_publish_password",
            "AWS_SECRET_ACCESS_KEY",
            "MY_API_KEY",
            "UV_INDEX_PRIVATE_PASSWORD",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["GIT_AUTHOR_NAME", "PATH", "HOME", "SSH_AUTH_SOCK"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn bytes_are_masked_even_when_not_utf8() {
        register("bytes-secret-42");
        let mut input = b"\xff\xfe bytes-secret-42 \xff".to_vec();
        assert_eq!(redact_bytes(&input).as_ref(), b"\xff\xfe *** \xff");
        input = b"plain".to_vec();
        assert!(matches!(redact_bytes(&input), Cow::Borrowed(_)));
    }
}
