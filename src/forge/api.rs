//! The release and pull-request flows on GitHub (and GitHub Enterprise) and Gitea. Both are
//! idempotent: an existing release for the tag is updated, an open pull request for the same
//! head and base is reused, and a create that loses a race ("already exists") falls back to
//! the existing one.

use serde_json::{Value, json};

use super::http::{Method, Reply, encode};
use super::{Client, ForgeOutcome};
use crate::config::ForgeKind;

/// A release to create or update.
pub(super) struct Release<'a> {
    pub owner: &'a str,
    pub repo: &'a str,
    pub tag: &'a str,
    pub name: &'a str,
    pub body: &'a str,
    pub prerelease: bool,
}

/// A pull request to open or reuse.
pub(super) struct Pull<'a> {
    pub owner: &'a str,
    pub repo: &'a str,
    pub head: &'a str,
    pub base: &'a str,
    pub title: &'a str,
    pub body: &'a str,
}

/// `/repos/{owner}/{repo}`, encoded.
pub(super) fn repo_path(owner: &str, repo: &str) -> String {
    format!("/repos/{}/{}", encode(owner), encode(repo))
}

fn html_url(json: &Value) -> String {
    json.get("html_url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// An answer with an unexpected status, or success with a body that is not what the API
/// documents, is an error.
fn expect(
    client: &Client,
    method: Method,
    path: &str,
    repo: &str,
    reply: &Reply,
    ok: &[u16],
) -> anyhow::Result<()> {
    if ok.contains(&reply.status) {
        Ok(())
    } else {
        Err(client.status_error(method, path, repo, reply))
    }
}

pub(super) fn create_release(client: &Client, r: &Release) -> anyhow::Result<ForgeOutcome> {
    let full = format!("{}/{}", r.owner, r.repo);
    if let Some(existing) = find_release(client, r, &full)? {
        return update_release(client, r, &full, &existing);
    }
    let path = format!("{}/releases", repo_path(r.owner, r.repo));
    let payload = json!({
        "tag_name": r.tag,
        "name": r.name,
        "body": r.body,
        "prerelease": r.prerelease,
    });
    let reply = client.request(Method::Post, &path, Some(&payload))?;
    if reply.already_exists() {
        // Created meanwhile (another run, or a retried POST that did go through).
        return match find_release(client, r, &full)? {
            Some(existing) => update_release(client, r, &full, &existing),
            None => Err(client.status_error(Method::Post, &path, &full, &reply)),
        };
    }
    expect(client, Method::Post, &path, &full, &reply, &[200, 201])?;
    Ok(ForgeOutcome::Created {
        url: html_url(&reply.json),
    })
}

/// The release of the tag: `GET …/releases/tags/{tag}`; `None` on 404.
fn find_release(client: &Client, r: &Release, full: &str) -> anyhow::Result<Option<Value>> {
    let path = format!(
        "{}/releases/tags/{}",
        repo_path(r.owner, r.repo),
        encode(r.tag)
    );
    let reply = client.request(Method::Get, &path, None)?;
    if reply.status == 404 {
        return Ok(None);
    }
    expect(client, Method::Get, &path, full, &reply, &[200])?;
    Ok(Some(reply.json))
}

/// `PATCH …/releases/{id}` with name, body and prerelease.
fn update_release(
    client: &Client,
    r: &Release,
    full: &str,
    existing: &Value,
) -> anyhow::Result<ForgeOutcome> {
    let Some(id) = existing.get("id").and_then(Value::as_u64) else {
        let path = format!(
            "{}/releases/tags/{}",
            repo_path(r.owner, r.repo),
            encode(r.tag)
        );
        let reply = Reply {
            status: 200,
            json: json!({"message": "the release has no numeric id"}),
            attempts: 1,
            ..Reply::default()
        };
        return Err(client.status_error(Method::Get, &path, full, &reply));
    };
    let path = format!("{}/releases/{id}", repo_path(r.owner, r.repo));
    let payload = json!({
        "name": r.name,
        "body": r.body,
        "prerelease": r.prerelease,
    });
    let reply = client.request(Method::Patch, &path, Some(&payload))?;
    expect(client, Method::Patch, &path, full, &reply, &[200, 201])?;
    let url = Some(html_url(&reply.json))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| html_url(existing));
    Ok(ForgeOutcome::Existing { url })
}

pub(super) fn open_pull_request(client: &Client, p: &Pull) -> anyhow::Result<ForgeOutcome> {
    let full = format!("{}/{}", p.owner, p.repo);
    if let Some(url) = find_pull(client, p, &full)? {
        return Ok(ForgeOutcome::Existing { url });
    }
    let path = format!("{}/pulls", repo_path(p.owner, p.repo));
    let payload = json!({
        "title": p.title,
        "head": p.head,
        "base": p.base,
        "body": p.body,
    });
    let reply = client.request(Method::Post, &path, Some(&payload))?;
    if reply.already_exists() {
        return match find_pull(client, p, &full)? {
            Some(url) => Ok(ForgeOutcome::Existing { url }),
            None => Err(client.status_error(Method::Post, &path, &full, &reply)),
        };
    }
    expect(client, Method::Post, &path, &full, &reply, &[200, 201])?;
    Ok(ForgeOutcome::Created {
        url: html_url(&reply.json),
    })
}

/// `(owner, branch)` of a head: `branch` or `owner:branch` (a fork).
fn head_parts<'a>(p: &'a Pull) -> (&'a str, &'a str) {
    p.head.split_once(':').unwrap_or((p.owner, p.head))
}

/// Whether a listed pull request goes from the call's head to its base.
fn matches(pr: &Value, p: &Pull) -> bool {
    let (head_owner, head_branch) = head_parts(p);
    let field = |side: &str, key: &str| {
        pr.get(side)
            .and_then(|s| s.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if field("head", "ref").as_deref() != Some(head_branch)
        || field("base", "ref").as_deref() != Some(p.base)
    {
        return false;
    }
    // The head's owner, when the forge says it (GitHub: head.label = "owner:branch";
    // Gitea: head.repo.owner.login).
    let owner = field("head", "label")
        .and_then(|l| l.split_once(':').map(|(o, _)| o.to_owned()))
        .or_else(|| {
            pr.pointer("/head/repo/owner/login")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    owner.is_none_or(|o| o.eq_ignore_ascii_case(head_owner))
}

/// The web URL of the open pull request from head to base, if any.
fn find_pull(client: &Client, p: &Pull, full: &str) -> anyhow::Result<Option<String>> {
    let base_path = format!("{}/pulls", repo_path(p.owner, p.repo));
    if client.kind == ForgeKind::Gitea {
        // Gitea ignores head/base filters on the list: page through the open ones, to the
        // last page however many there are (a short or empty page ends the list; a page equal
        // to the one before means the server ignores `page`, and ends it too).
        const LIMIT: usize = 50;
        let mut previous: Option<Vec<Value>> = None;
        for page in 1.. {
            let path = format!("{base_path}?state=open&limit={LIMIT}&page={page}");
            let reply = client.request(Method::Get, &path, None)?;
            expect(client, Method::Get, &path, full, &reply, &[200])?;
            let items = reply.json.as_array().cloned().unwrap_or_default();
            if let Some(pr) = items.iter().find(|pr| matches(pr, p)) {
                return Ok(Some(html_url(pr)));
            }
            if items.len() < LIMIT || previous.as_ref() == Some(&items) {
                break;
            }
            previous = Some(items);
        }
        return Ok(None);
    }
    let (owner, branch) = head_parts(p);
    let path = format!(
        "{base_path}?state=open&head={}&base={}&per_page=100",
        encode(&format!("{owner}:{branch}")),
        encode(p.base)
    );
    let reply = client.request(Method::Get, &path, None)?;
    expect(client, Method::Get, &path, full, &reply, &[200])?;
    let items = reply.json.as_array().cloned().unwrap_or_default();
    Ok(items.iter().find(|pr| matches(pr, p)).map(html_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pull<'a>(head: &'a str, base: &'a str) -> Pull<'a> {
        Pull {
            owner: "acme",
            repo: "alpha",
            head,
            base,
            title: "t",
            body: "b",
        }
    }

    #[test]
    fn paths_are_encoded() {
        assert_eq!(repo_path("acme", "alpha"), "/repos/acme/alpha");
        assert_eq!(repo_path("ac me", "al/pha"), "/repos/ac%20me/al%2Fpha");
    }

    #[test]
    fn pull_matching() {
        let github = json!({"head": {"ref": "dev_branch", "label": "acme:dev_branch"},
                            "base": {"ref": "main"}, "html_url": "u"});
        assert!(matches(&github, &pull("dev_branch", "main")));
        assert!(matches(&github, &pull("acme:dev_branch", "main")));
        assert!(!matches(&github, &pull("fork:dev_branch", "main")));
        assert!(!matches(&github, &pull("dev_branch", "release")));
        assert!(!matches(&github, &pull("other", "main")));
        let gitea = json!({"head": {"ref": "dev_branch", "repo": {"owner": {"login": "acme"}}},
                           "base": {"ref": "main"}});
        assert!(matches(&gitea, &pull("dev_branch", "main")));
        assert!(!matches(&gitea, &pull("bob:dev_branch", "main")));
        let bare = json!({"head": {"ref": "dev_branch"}, "base": {"ref": "main"}});
        assert!(matches(&bare, &pull("dev_branch", "main")));
    }
}
