//! The product (issue 20, items 1 and 2): the root project, what prod installs and the image
//! ships, versioned by `release` whenever the run changes what prod pins: its version in the
//! root `pyproject.toml` and the staging/prod manifests (one project), a root tag on the root's
//! release commit, a combined `CHANGELOG.md` section and a product forge release with the same
//! text (docs/release.md, "The product").

use std::fmt::Write as _;

use anyhow::Result;

use super::{Planned, Request, Stage};
use crate::config::{ForgeKind, ProductBump};
use crate::forge::{ForgeAction, ForgeCall};
use crate::git::Git;
use crate::python::pyproject::{PyProject, VersionSource};
use crate::python::version::{self, Bump, Version};
use crate::workspace::{Package, Workspace};

/// What a package released by the run brings to the product's notes.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub package: String,
    pub version: Version,
    pub tag: String,
    /// The tag of the release the changes are counted from.
    pub prev_tag: Option<String>,
    /// The package's tag message (its title line is left out of the product's notes).
    pub message: String,
    /// The size of the package's bump: patch, minor or major.
    pub level: Bump,
    /// The package's web page on the forge (`https://github.com/o/a`), for links.
    pub web: Option<String>,
}

/// The product's release, as planned.
#[derive(Clone, Debug)]
pub(super) struct Product {
    pub name: String,
    pub version: Version,
    pub tag: String,
    /// The combined notes: one section per released package (Markdown, no title).
    pub notes: String,
    /// The product forge release (with `--push`), on the root's repository.
    pub forge: Option<ForgeCall>,
    /// Whether this run tags the product (`release`, `tag`); `prepare` writes its version and
    /// notes, and `tag` tags it after the merge.
    pub tag_now: bool,
}

impl Product {
    /// The root tag's message: a title line, then the combined notes.
    pub fn tag_message(&self) -> String {
        format!(
            "Release {} {}\n\n{}",
            self.name,
            self.version,
            self.notes.trim_end()
        )
    }
}

/// The size of a package's bump, for the product's `auto` level: the bump asked for when it is
/// patch, minor or major, else what the release segment says against the last release
/// (`prev`; the version released from when there is none).
pub(super) fn level(kind: Bump, prev: Option<&Version>, from: &Version, new: &Version) -> Bump {
    if matches!(kind, Bump::Patch | Bump::Minor | Bump::Major) {
        return kind;
    }
    let old = prev.unwrap_or(from).release();
    let new = new.release();
    let part = |r: &[u64], i: usize| r.get(i).copied().unwrap_or(0);
    if part(old, 0) != part(new, 0) {
        Bump::Major
    } else if part(old, 1) != part(new, 1) {
        Bump::Minor
    } else {
        Bump::Patch
    }
}

fn rank(b: Bump) -> u8 {
    match b {
        Bump::Major => 3,
        Bump::Minor => 2,
        _ => 1,
    }
}

/// The bump of the product: `--product-bump`, else `[product] bump`, else (`auto`) the
/// highest level among the packages released at a final version (patch when none).
pub(super) fn product_bump(ws: &Workspace, req: &Request, entries: &[Entry]) -> Bump {
    let configured = match ws.config.product.bump {
        ProductBump::Auto => Bump::Auto,
        ProductBump::Patch => Bump::Patch,
        ProductBump::Minor => Bump::Minor,
        ProductBump::Major => Bump::Major,
        ProductBump::Dev => Bump::Dev,
        ProductBump::Pre => Bump::Pre,
        ProductBump::Alpha => Bump::Alpha,
        ProductBump::Beta => Bump::Beta,
        ProductBump::Rc => Bump::Rc,
        ProductBump::Post => Bump::Post,
        ProductBump::Stable => Bump::Stable,
    };
    match req.product_bump.unwrap_or(configured) {
        Bump::Auto => entries
            .iter()
            .filter(|e| version::is_final(&e.version))
            .map(|e| e.level)
            .max_by_key(|b| rank(*b))
            .unwrap_or(Bump::Patch),
        other => other,
    }
}

/// The web page of a package's repository, for links in the notes: its remote when it is a
/// web server's, else (a forge configured explicitly) the forge's host with its `owner/repo`.
pub(super) fn package_web(ws: &Workspace, pkg: &Package) -> Option<String> {
    if let Some(url) = crate::workspace::package_url(ws, pkg)
        && let Some(web) = web_of_remote(&url)
    {
        return Some(web);
    }
    let repo = crate::forge::repo_for(ws, pkg)?;
    Some(format!("{}/{repo}", forge_web(ws)?))
}

/// A remote URL as a web page (`git@github.com:o/r.git` → `https://github.com/o/r`); `None`
/// for a local remote.
fn web_of_remote(url: &str) -> Option<String> {
    if crate::workspace::is_local_url(url) {
        return None;
    }
    let web = if let Some(rest) = url.strip_prefix("git@") {
        format!("https://{}", rest.replacen(':', "/", 1))
    } else if let Some(rest) = url.strip_prefix("ssh://git@") {
        format!("https://{rest}")
    } else if url.starts_with("https://") || url.starts_with("http://") {
        url.to_owned()
    } else {
        return None;
    };
    Some(
        web.trim_end_matches('/')
            .trim_end_matches(".git")
            .to_owned(),
    )
}

/// The forge's web host, from its API URL (`https://api.github.com` → `https://github.com`,
/// `https://ghe/api/v3` → `https://ghe`, `https://gitea/api/v1` → `https://gitea`).
fn forge_web(ws: &Workspace) -> Option<String> {
    let forge = &ws.config.forge;
    if forge.kind == ForgeKind::None {
        return None;
    }
    // As the client reads it: `api_url`, then `GITHUB_API_URL`, then GitHub's.
    let env = std::env::var("GITHUB_API_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    let api = match (&forge.api_url, env, forge.kind) {
        (Some(url), _, _) => url.clone(),
        (None, _, ForgeKind::Gitea) => return None,
        (None, Some(url), _) => url,
        (None, None, _) => "https://api.github.com".to_owned(),
    };
    let api = api.trim().trim_end_matches('/');
    if api == "https://api.github.com" {
        return Some("https://github.com".to_owned());
    }
    Some(
        api.strip_suffix("/api/v3")
            .or_else(|| api.strip_suffix("/api/v1"))
            .unwrap_or(api)
            .to_owned(),
    )
}

/// The combined notes: per package (in the run's order) a `### name version` heading, links to
/// its release and compare page when its forge is known, and its tag message's body with its
/// headings one level down.
pub(super) fn combined_notes(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        let _ = writeln!(out, "### {} {}\n", e.package, e.version);
        if let Some(web) = &e.web {
            let _ = write!(out, "[{}]({web}/releases/tag/{})", e.tag, e.tag);
            if let Some(prev) = &e.prev_tag {
                let _ = write!(
                    out,
                    " · [compare {prev}...{}]({web}/compare/{prev}...{})",
                    e.tag, e.tag
                );
            }
            out.push_str("\n\n");
        }
        push_body(&mut out, &e.message);
    }
    out.trim_end().to_owned() + "\n"
}

/// A package's tag message in the product's notes: its title line left out, its headings one
/// level down, followed by a blank line (nothing for an empty body).
pub(super) fn push_body(out: &mut String, message: &str) {
    let mut lines = message.lines();
    lines.next();
    let body: Vec<String> = lines
        .map(|l| {
            if l.starts_with('#') {
                format!("#{l}")
            } else {
                l.to_owned()
            }
        })
        .collect();
    let body = body.join("\n");
    let body = body.trim_matches('\n');
    if !body.is_empty() {
        out.push_str(body);
        out.push_str("\n\n");
    }
}

/// The root's `owner/repo` on the forge: `[product] repository`, else its remote's; `None`
/// when the forge is off, or the remote is local and no forge is configured.
fn root_repo(ws: &Workspace) -> Option<String> {
    let forge = &ws.config.forge;
    if !forge.releases || forge.kind == ForgeKind::None {
        return None;
    }
    if let Some(repo) = &ws.config.product.repository {
        return Some(repo.clone());
    }
    let url = Git::new(&ws.root)
        .remote_url(&ws.config.git_remote)
        .ok()
        .flatten()?;
    let url = crate::core::secrets::strip_url_credentials(&url);
    if crate::workspace::is_local_url(&url) && !forge.configured {
        return None;
    }
    crate::forge::parse_repo(&url)
}

/// The root project's name and version (`[project]` of the root `pyproject.toml`).
fn root_project(ws: &Workspace) -> Result<Option<(String, Version)>> {
    let path = ws.root.join("pyproject.toml");
    let Ok(doc) = PyProject::load(&path) else {
        return Ok(None);
    };
    let VersionSource::Static(text) = doc.version_source() else {
        return Ok(None);
    };
    let name = doc.name().unwrap_or("product").to_owned();
    Ok(Some((name, version::parse(&text)?)))
}

/// Plan the product's release, when the run changes what prod pins (`prod_changes`) and
/// `--no-product` is not given: its version (bumped per [`product_bump`], never onto a tagged
/// version), tag, notes and forge release. `None` with a note saying why otherwise.
pub(super) fn plan(
    ws: &Workspace,
    planned: &mut Planned,
    req: &Request,
    entries: &[Entry],
    prod_changes: bool,
) -> Result<Option<Product>> {
    if req.no_product {
        return Ok(None);
    }
    let Some((name, current)) = root_project(ws)? else {
        if prod_changes {
            planned.notes.push(
                "the product is not versioned: the root pyproject.toml has no static [project] version".to_owned(),
            );
        }
        return Ok(None);
    };
    if !prod_changes {
        if !entries.is_empty() {
            planned.notes.push(format!(
                "the product {name} stays at {current}: this release changes nothing prod pins"
            ));
        }
        return Ok(None);
    }
    let prefix = ws.config.product.tag_prefix.clone();
    let root = Git::new(&ws.root);
    let tags: Vec<String> = if root.is_repo_root() {
        root.tags(&prefix)?.into_iter().map(|t| t.name).collect()
    } else {
        Vec::new()
    };
    let committed = root
        .run(["show", "HEAD:pyproject.toml"])
        .ok()
        .and_then(|t| PyProject::parse(&ws.root.join("pyproject.toml"), &t).ok())
        .and_then(|d| match d.version_source() {
            VersionSource::Static(v) => version::parse(&v).ok(),
            _ => None,
        });
    let tagged = |v: &Version| {
        version::tag_of_version(tags.iter().map(String::as_str), &prefix, v).is_some()
    };
    let kind = product_bump(ws, req, entries);
    let version = if req.replan
        && committed.as_ref().is_some_and(|c| *c != current)
        && !tagged(&current)
    {
        // `--replan`: the unfinished run wrote the product's version already.
        current.clone()
    } else {
        let floor = version::newest_tag(tags.iter().map(String::as_str), &prefix, false);
        match version::bump_past(&current, kind, floor.as_ref().map(|(_, v)| v), tagged) {
            Ok((v, _)) => v,
            Err(e) => {
                return Err(crate::core::error::UserError::failure(format!(
                    "Cannot bump the product {name} {current} with {kind}: {e}; nothing was changed"
                ))
                .with_hint("choose another --product-bump (or [tool.release_tool.product] bump), or --no-product")
                .into());
            }
        }
    };
    let tag = format!("{prefix}{version}");
    let notes = combined_notes(entries);
    // The pull-request flow: `prepare` writes the version and the notes, `tag` tags them.
    let tag_now = req.stage == Stage::Release;
    let forge = if req.push && tag_now {
        release_call(ws, &tags, &prefix, &name, &version, &tag, &notes)
    } else {
        None
    };
    if req.push && tag_now {
        check_remote_tag(ws, &tag, "release")?;
    }
    let when = if tag_now {
        "on the root's release commit"
    } else {
        "by `release-tool tag` after the merge"
    };
    planned.notes.push(format!(
        "the product {name}: {current} → {version} ({kind}), tagged {tag} {when}"
    ));
    Ok(Some(Product {
        name,
        version,
        tag,
        notes,
        forge,
        tag_now,
    }))
}

/// `tag` (the pull-request flow): the product's version as `prepare` wrote it in the root
/// `pyproject.toml`, tagged on the root's commit of the run when the run changes what prod
/// pins and that version has no tag yet; the tag's message and the product release carry the
/// combined notes of the packages the run tags. `None` (with a note) otherwise.
pub(super) fn plan_tag(
    ws: &Workspace,
    planned: &mut Planned,
    req: &Request,
    entries: &[Entry],
    prod_changes: bool,
) -> Result<Option<Product>> {
    if req.no_product || !prod_changes {
        return Ok(None);
    }
    let Some((name, version)) = root_project(ws)? else {
        return Ok(None);
    };
    let prefix = ws.config.product.tag_prefix.clone();
    let root = Git::new(&ws.root);
    if !root.is_repo_root() {
        return Ok(None);
    }
    let tags: Vec<String> = root.tags(&prefix)?.into_iter().map(|t| t.name).collect();
    if let Some(tag) = version::tag_of_version(tags.iter().map(String::as_str), &prefix, &version) {
        planned.notes.push(format!(
            "the product {name} {version} is already tagged ({tag}): not tagged again (`prepare` bumps the product's version)"
        ));
        return Ok(None);
    }
    let tag = format!("{prefix}{version}");
    let notes = combined_notes(entries);
    let forge = if req.push {
        check_remote_tag(ws, &tag, "tag")?;
        release_call(ws, &tags, &prefix, &name, &version, &tag, &notes)
    } else {
        None
    };
    planned.notes.push(format!(
        "the product {name} {version}: tagged {tag} on the root's commit"
    ));
    Ok(Some(Product {
        name,
        version,
        tag,
        notes,
        forge,
        tag_now: true,
    }))
}

/// Before a run that pushes the product's tag (`release --push`, `tag --push`): the root's
/// remote must not have that tag already, pointing elsewhere (one `git ls-remote` of the tag;
/// a dry run too, it only reads). A clash, or a remote that cannot be reached, stops the run
/// before anything changes, instead of a push refused after the root's commit.
pub(super) fn check_remote_tag(ws: &Workspace, tag: &str, what: &str) -> Result<()> {
    let root = Git::new(&ws.root);
    let remote = &ws.config.git_remote;
    if !root.is_repo_root() || !root.has_remote(remote)? {
        return Ok(());
    }
    let tag_ref = format!("refs/tags/{tag}");
    let problem = match root.run_batch(["ls-remote", "--", remote.as_str(), tag_ref.as_str()]) {
        Ok(out) => {
            let Some(oid) = out
                .lines()
                .find_map(|l| l.strip_suffix(&format!("\t{tag_ref}")))
            else {
                return Ok(());
            };
            // The same tag object locally (an earlier run pushed it): nothing clashes.
            if root.resolve(&tag_ref)?.as_deref() == Some(oid.trim()) {
                return Ok(());
            }
            format!(
                "the root: the product's tag {tag} already exists on `{remote}` (fetch it with `git fetch --tags {remote}` in the root); choose another --product-bump"
            )
        }
        Err(e) => format!(
            "the root: cannot reach its remote `{remote}`: {}",
            e.unreachable_reason()
        ),
    };
    Err(crate::core::error::UserError::failure(format!(
        "Cannot {what}; nothing was changed:\n  {problem}"
    ))
    .with_hint("fetch the root's tags so the product's next version moves past the tags there (or choose another --product-bump), then run the same command again")
    .into())
}

/// Push later (docs/release.md, "Release now, push later"): the product's tag on the root's
/// HEAD when `remote` lacks it, with its forge release (body: the tag's notes). One
/// `git ls-remote` of the tag.
pub(super) fn tag_at_head(
    ws: &Workspace,
    root: &Git,
    remote: &str,
    branch: &str,
) -> Option<(String, Option<ForgeCall>)> {
    let prefix = &ws.config.product.tag_prefix;
    let listed = root
        .run([
            "tag",
            "--points-at",
            "HEAD",
            "--list",
            &format!("{prefix}*"),
        ])
        .ok()?;
    let (tag, version) = version::newest_tag(listed.lines(), prefix, false)?;
    let refs = super::remote_refs(root, remote, branch, Some(&tag)).ok()?;
    if refs.tag.is_some() {
        return None;
    }
    let contents = root
        .run(["tag", "--list", "--format=%(contents)", "--", &tag])
        .unwrap_or_default();
    let title = contents.lines().next().unwrap_or_default().to_owned();
    let notes = contents
        .strip_prefix(title.as_str())
        .unwrap_or_default()
        .trim_matches('\n')
        .to_owned()
        + "\n";
    let name = title
        .strip_prefix("Release ")
        .and_then(|t| t.rsplit_once(' ').map(|(n, _)| n.to_owned()))
        .or_else(|| root_project(ws).ok().flatten().map(|(n, _)| n))
        .unwrap_or_else(|| "product".to_owned());
    let call = root_repo(ws).map(|repo| ForgeCall {
        repo,
        action: ForgeAction::CreateRelease {
            tag: tag.clone(),
            name: format!("{name} {version}"),
            body: notes,
            prerelease: !version::is_final(&version),
            latest: None,
        },
    });
    Some((tag, call))
}

/// The product's file edits in the root: its version in the root `pyproject.toml`, its
/// section in the root changelog. Returns the paths written (relative to the root).
pub(super) fn plan_root_files(
    ws: &Workspace,
    planned: &mut Planned,
    product: &Product,
) -> Result<Vec<String>> {
    let mut written = Vec::new();
    let path = ws.root.join("pyproject.toml");
    let text = planned.plan.current_content(&path).unwrap_or_default();
    let mut doc = PyProject::parse(&path, &text)?;
    doc.set_version(&product.version.to_string())?;
    let after = doc.render();
    if after != text {
        planned.plan.write(None, &path, after);
        written.push("pyproject.toml".to_owned());
    }
    let rel = &ws.config.product.changelog;
    if !rel.is_empty() {
        let path = ws.root.join(rel);
        let old = planned.plan.current_content(&path);
        let message = format!("Release {}\n\n{}", product.version, product.notes);
        let new = super::changelog::prepend(
            old.as_deref(),
            &product.version.to_string(),
            &super::changelog::today(),
            &message,
        );
        if old.as_deref() != Some(new.as_str()) {
            planned.plan.write(None, &path, new);
            written.push(rel.clone());
        }
    }
    Ok(written)
}

/// The product's version in a staging/prod manifest (they are the same project as the root).
pub(super) fn set_manifest_version(doc: &mut PyProject, product: Option<&Product>) -> Result<()> {
    if let Some(p) = product
        && matches!(doc.version_source(), VersionSource::Static(_))
    {
        doc.set_version(&p.version.to_string())?;
    }
    Ok(())
}

/// The product's forge release on the root repository (none when the root has no forge
/// remote): `latest` only for the newest final version, and never on Gitea.
fn release_call(
    ws: &Workspace,
    tags: &[String],
    prefix: &str,
    name: &str,
    version: &Version,
    tag: &str,
    notes: &str,
) -> Option<ForgeCall> {
    root_repo(ws).map(|repo| ForgeCall {
        repo,
        action: ForgeAction::CreateRelease {
            tag: tag.to_owned(),
            name: format!("{name} {version}"),
            body: notes.to_owned(),
            prerelease: !version::is_final(version),
            latest: (ws.config.forge.kind != ForgeKind::Gitea)
                .then(|| super::newest_final(tags.iter().map(String::as_str), prefix, version)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        version::parse(s).unwrap()
    }

    #[test]
    fn the_level_of_a_bump_is_what_was_asked_or_what_the_versions_say() {
        assert_eq!(
            level(Bump::Minor, None, &v("0.1.0.dev0"), &v("0.1.0")),
            Bump::Minor
        );
        let prev = v("1.2.3");
        assert_eq!(
            level(Bump::Stable, Some(&prev), &v("2.0.0rc1"), &v("2.0.0")),
            Bump::Major
        );
        assert_eq!(
            level(Bump::Stable, Some(&prev), &v("1.3.0rc1"), &v("1.3.0")),
            Bump::Minor
        );
        assert_eq!(
            level(Bump::Post, Some(&prev), &prev, &v("1.2.3.post1")),
            Bump::Patch
        );
    }

    #[test]
    fn combined_notes_link_each_release_and_push_headings_down() {
        let entries = [Entry {
            package: "a".into(),
            version: v("0.2.0"),
            tag: "v0.2.0".into(),
            prev_tag: Some("v0.1.0".into()),
            message: "Release a 0.2.0\n\nChanges since 0.1.0:\n\n### Added\n\n- x\n".into(),
            level: Bump::Minor,
            web: Some("https://github.com/o/a".into()),
        }];
        assert_eq!(
            combined_notes(&entries),
            "### a 0.2.0\n\n[v0.2.0](https://github.com/o/a/releases/tag/v0.2.0) · [compare v0.1.0...v0.2.0](https://github.com/o/a/compare/v0.1.0...v0.2.0)\n\nChanges since 0.1.0:\n\n#### Added\n\n- x\n"
        );
        assert_eq!(
            web_of_remote("git@github.com:o/a.git").as_deref(),
            Some("https://github.com/o/a")
        );
        assert_eq!(web_of_remote("file:///r/a.git"), None);
    }
}
