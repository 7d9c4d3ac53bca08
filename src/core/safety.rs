//! The form of names, paths and URLs that come from outside the program (configuration,
//! `pyproject.toml`, `.gitmodules`, remotes, the command line) before they reach a path join or
//! a git/uv/engine argv.
//!
//! Each check returns `Err(reason)`, a short lower-case reason; callers turn it into a
//! [`crate::core::error::UserError`] that names the key or file and says what to do. The rules:
//!
//! - **package names**: PEP 508 names only (letters, digits, `.`, `_`, `-`, starting and ending
//!   with a letter or digit): no `/`, no `..`, never an option;
//! - **relative paths** (submodule paths, package directories, configured paths): relative,
//!   inside the root (no `..` component, not absolute), no component starting with `-`, no
//!   control characters;
//! - **branch names**: `git check-ref-format --branch` rules, and never starting with `-`;
//! - **tag prefixes**: what may start a tag name under the same rules (may be empty, may end
//!   with `/`);
//! - **remote names**: a branch-like name without `/`-components that git could misread;
//! - **remote URLs**: never starting with `-` (`--upload-pack=...`), no control characters, and
//!   none of git's command-running transports (`ext::`, `fd::`): only `https://`, `http://`,
//!   `ssh://`, `git://`, `file://`, scp-like `host:path` and local paths; a host never starts
//!   with `-` (an ssh option);
//! - **submodule names**: no `..` component, no `=` (they go into `-c submodule.<name>.…=…`),
//!   no control characters, never starting with `-`;
//! - **repositories** (`owner/repo` on a forge): two segments of letters, digits, `.`, `_`, `-`,
//!   neither `.` nor `..`.

/// A PEP 508 project name: `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`, case-insensitive.
pub fn package_name(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return Err("a package name must not be empty".to_owned());
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(
            "a package name holds only letters, digits, `.`, `_` and `-` (PEP 508)".to_owned(),
        );
    }
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Err("a package name starts and ends with a letter or digit (PEP 508)".to_owned());
    }
    Ok(())
}

/// A path relative to the root and inside it: not empty, not absolute, no `..` component, no
/// component starting with `-`, no control characters, no backslash.
pub fn relative_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".to_owned());
    }
    if path.chars().any(char::is_control) {
        return Err("the path holds control characters".to_owned());
    }
    if path.contains('\\') {
        return Err("the path holds a backslash (use `/`)".to_owned());
    }
    if path.starts_with('/') || std::path::Path::new(path).is_absolute() {
        return Err("the path is absolute; it must be relative to the root".to_owned());
    }
    for component in path.split('/') {
        if component == ".." {
            return Err("the path has a `..` component: it must stay inside the root".to_owned());
        }
        if component.starts_with('-') {
            return Err(format!(
                "the path component `{component}` starts with `-` (git would read it as an option)"
            ));
        }
    }
    if path.split('/').all(|c| c.is_empty() || c == ".") {
        return Err("the path names the root itself".to_owned());
    }
    Ok(())
}

/// The character rules shared by refs: no control characters, spaces or `~^:?*[\`, no `..`,
/// no `@{`, no `//`, no component starting with `.` or ending with `.lock`.
fn ref_text(s: &str) -> Result<(), String> {
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(*c))
    {
        return Err(format!("it holds {c:?}, which git refuses in ref names"));
    }
    if s.contains("..") {
        return Err("it holds `..`, which git refuses in ref names".to_owned());
    }
    if s.contains("@{") {
        return Err("it holds `@{`, which git refuses in ref names".to_owned());
    }
    if s.contains("//") {
        return Err("it holds `//`, which git refuses in ref names".to_owned());
    }
    for component in s.split('/') {
        if component.starts_with('.') {
            return Err(format!(
                "the component `{component}` starts with `.`, which git refuses in ref names"
            ));
        }
        // git refuses exactly `.lock` (case matters).
        if component.as_bytes().ends_with(b".lock") {
            return Err(format!(
                "the component `{component}` ends with `.lock`, which git refuses in ref names"
            ));
        }
    }
    Ok(())
}

/// A branch name as `git check-ref-format --branch` accepts it, never starting with `-`.
pub fn branch_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a branch name must not be empty".to_owned());
    }
    if name.starts_with('-') {
        return Err(
            "a branch name must not start with `-` (git would read it as an option)".to_owned(),
        );
    }
    if name == "@" {
        return Err("`@` is not a branch name".to_owned());
    }
    if name.starts_with('/') || name.ends_with('/') || name.ends_with('.') {
        return Err("a branch name must not start or end with `/`, nor end with `.`".to_owned());
    }
    ref_text(name)
}

/// A tag prefix: the start of a tag name (`v`, `release/`, or empty).
pub fn tag_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() {
        return Ok(());
    }
    if prefix.starts_with('-') {
        return Err(
            "a tag prefix must not start with `-` (git would read it as an option)".to_owned(),
        );
    }
    if prefix.starts_with('/') {
        return Err("a tag prefix must not start with `/`".to_owned());
    }
    // `release/` is a prefix; check it as the start of a tag (`release/1.0.0`).
    ref_text(&format!("{prefix}0"))
}

/// A remote name (`origin`): branch-name rules.
pub fn remote_name(name: &str) -> Result<(), String> {
    branch_name(name).map_err(|why| why.replace("branch name", "remote name"))
}

/// A git URL a remote may have (see the module docs).
pub fn remote_url(url: &str) -> Result<(), String> {
    if url.trim().is_empty() {
        return Err("the URL is empty".to_owned());
    }
    if url.chars().any(char::is_control) {
        return Err("the URL holds control characters".to_owned());
    }
    if url.starts_with('-') {
        return Err("the URL starts with `-` (git would read it as an option)".to_owned());
    }
    if let Some((transport, _)) = url.split_once("::")
        && !transport.contains(['/', ':'])
    {
        return Err(format!(
            "`{transport}::` URLs run commands or use remote helpers; use an https, ssh, git or file URL"
        ));
    }
    let host = if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(
            scheme.to_ascii_lowercase().as_str(),
            "https" | "http" | "ssh" | "git" | "file" | "git+ssh" | "ssh+git"
        ) {
            return Err(format!(
                "the scheme `{scheme}` is not one git fetches over (https, http, ssh, git, file)"
            ));
        }
        let authority = rest.split('/').next().unwrap_or_default();
        authority.rsplit('@').next().unwrap_or_default()
    } else if let Some((before, _)) = url.split_once(':')
        && !before.contains('/')
        && before.len() > 1
    {
        // scp-like `[user@]host:path`.
        before.rsplit('@').next().unwrap_or_default()
    } else {
        ""
    };
    if host.starts_with('-') {
        return Err(format!(
            "the host `{host}` starts with `-` (ssh would read it as an option)"
        ));
    }
    Ok(())
}

/// A submodule name from `.gitmodules` (see the module docs).
pub fn submodule_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the submodule name is empty".to_owned());
    }
    if name.chars().any(char::is_control) {
        return Err("the submodule name holds control characters".to_owned());
    }
    if name.starts_with('-') {
        return Err("the submodule name starts with `-`".to_owned());
    }
    if name.contains('=') {
        return Err("the submodule name holds `=`".to_owned());
    }
    if name.split(['/', '\\']).any(|c| c == "..") {
        return Err("the submodule name has a `..` component".to_owned());
    }
    Ok(())
}

/// `owner/repo` on a forge.
pub fn repository(repo: &str) -> Result<(), String> {
    let parts: Vec<&str> = repo.split('/').collect();
    let segment_ok = |s: &&str| {
        !s.is_empty()
            && *s != "."
            && *s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if parts.len() == 2 && parts.iter().all(segment_ok) {
        Ok(())
    } else {
        Err(
            "a repository is `owner/repo`: two names of letters, digits, `.`, `_` and `-`"
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INJECTION: &str = "--upload-pack=touch /tmp/pwned";

    #[test]
    fn package_names_are_pep508() {
        for ok in ["a", "core-utils", "A.b_c-1", "x9"] {
            assert_eq!(package_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "-x", "x-", "../x", "a/b", "a b", ".hidden", INJECTION, "é",
        ] {
            assert!(package_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relative_paths_stay_inside() {
        for ok in ["packages/a", "./libs/x", "a", "a/b-c/d"] {
            assert_eq!(relative_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            ".",
            "./",
            "/etc",
            "../x",
            "a/../../x",
            "a\\..\\x",
            "-x",
            "packages/--upload-pack=x",
            INJECTION,
            "a\nb",
        ] {
            assert!(relative_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn branch_names_follow_check_ref_format() {
        for ok in ["main", "dev_branch", "feature/x", "release-1.0", "a=b"] {
            assert_eq!(branch_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-x",
            "--upload-pack=x",
            "@",
            "a..b",
            "a b",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "a@{1}",
            "/a",
            "a/",
            "a//b",
            "a.",
            ".a",
            "a/.b",
            "a.lock",
            "a/b.lock/c",
            "a\u{7f}",
        ] {
            assert!(branch_name(bad).is_err(), "{bad:?}");
        }
        assert!(remote_name("--mirror").unwrap_err().contains("remote name"));
    }

    #[test]
    fn tag_prefixes() {
        for ok in ["", "v", "release/", "pkg-v", "core/v"] {
            assert_eq!(tag_prefix(ok), Ok(()), "{ok}");
        }
        for bad in ["-v", "/v", "v..", "v ", ".v", "a//", "x:"] {
            assert!(tag_prefix(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn remote_urls() {
        for ok in [
            "https://github.com/acme/x.git",
            "ssh://git@host:22/acme/x.git",
            "git@github.com:acme/x.git",
            "host:x.git",
            "file:///srv/x.git",
            "/srv/x.git",
            "../x.git",
            "./x",
            "C:/x",
        ] {
            assert_eq!(remote_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            INJECTION,
            "-oProxyCommand=x",
            "ext::sh -c touch% /tmp/pwned",
            "fd::17",
            "ssh://-oProxyCommand=x/r",
            "ssh://user@-host/r",
            "-host:r",
            "user@-oProxyCommand=x:r",
            "gopher://x/y",
            "https://h/x\n",
        ] {
            assert!(remote_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn submodule_names() {
        for ok in ["packages/a", "a", "core-utils"] {
            assert_eq!(submodule_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "../x", "a/../../b", "-x", "x.url=ext::sh", "a\nb"] {
            assert!(submodule_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn repositories() {
        assert_eq!(repository("acme/x.y-z_1"), Ok(()));
        for bad in [
            "acme", "a/b/c", "../x", "a/..", "a/b?c", "a/b#c", "/b", "a b/c",
        ] {
            assert!(repository(bad).is_err(), "{bad}");
        }
    }
}
