//! `split PACKAGE --remote URL`: graduate an in-tree package (a plain directory of the root
//! repository) into its own repository, see docs/workspace.md ("Graduating a package: split").
//!
//! Planning reads everything and refuses before anything changes: a package that is not in-tree,
//! uncommitted work in its directory (or in the files the root commit takes), a remote that
//! cannot be read or is not empty. The history is read with one `git log` over the package's
//! directory (history simplification gives the commits that touch it, their parents rewritten to
//! the nearest such commits), the directory's tree of each commit with one `git rev-parse`
//! (per 500 commits), the tags with one `git for-each-ref`. The plan then:
//!
//! 1. writes a `git fast-import` stream (commits with the package directory's tree as their root
//!    tree, authors, committers, dates and messages kept; the tags `<name>-v<ver>` as
//!    `<tag_prefix><ver>`, annotated ones with their tagger and message) and imports it into a
//!    scratch bare repository under `.release_tool/split/` that borrows the root's objects
//!    (`objects/info/alternates`): no tree or blob is written again;
//! 2. pushes the branch and the tags to the new remote;
//! 3. replaces the directory by a submodule of the new remote at the same path, re-pins the
//!    staging and prod manifests (a `subdirectory` pin of the root's remote becomes a pin of the
//!    new remote at the carried-over tag), and makes one root commit;
//! 4. removes the scratch repository and the stream.
//!
//! A `split` that stopped in or after its push is taken up again: the remote is then not empty,
//! but when the scratch repository is still there with every ref the remote has (same
//! objects), imported from the very stream this run would write, the plan skips the import,
//! pushes again and does the root's steps.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::core::error::UserError;
use crate::git::{Git, GitError};
use crate::plan::{Guard, Plan, Step, StepKind};
use crate::python::pyproject::{self, PyProject};
use crate::workspace::{Package, Workspace};

/// Commits per `git rev-parse` of their directory trees.
const TREES_PER_CALL: usize = 500;

/// `split NAME --remote URL`.
#[derive(Clone, Debug)]
pub struct SplitRequest {
    pub name: String,
    /// The new repository (must exist and be empty); a local path is taken from `cwd`.
    pub remote: String,
    pub cwd: PathBuf,
    /// Refresh the staging and prod locks that exist, in the split's root commit.
    pub lock: bool,
}

/// A planned `split`.
#[derive(Clone, Debug)]
pub struct SplitPlan {
    pub plan: Plan,
    pub name: String,
    pub rel_path: String,
    /// The package's directory and the root's files the split's commit takes, as they exist
    /// before it: what `git reset` and `git checkout` put back after a stop part way.
    pub restore: Vec<String>,
    /// The URL recorded in `.gitmodules` and pushed to.
    pub url: String,
    pub branch: String,
    /// Commits of the new repository.
    pub commits: usize,
    /// Tags carried over: (root tag, new tag).
    pub tags: Vec<(String, String)>,
    /// Things the user should know (tags left behind, ...).
    pub warnings: Vec<String>,
}

/// One commit of the package's history as `git log` gave it.
#[derive(Clone, Debug)]
struct Commit {
    id: String,
    parents: Vec<String>,
    author: String,
    committer: String,
    message: String,
}

/// One tag of the package in the root repository.
#[derive(Clone, Debug)]
struct RootTag {
    name: String,
    /// The peeled commit.
    commit: String,
    /// Tagger line and message of an annotated tag.
    annotated: Option<(String, String)>,
}

/// Plan `split`: see the module documentation.
pub fn plan_split(ws: &Workspace, req: &SplitRequest) -> Result<SplitPlan> {
    let pkg = find_package(ws, &req.name)?;
    let name = pkg.name.clone();
    let rel = pkg.rel_path.clone();
    let root_git = Git::new(&ws.root);
    check_in_tree(ws, pkg, &root_git)?;
    let staging = ws.config.staging_pyproject_path.clone();
    let prod = ws.config.prod_pyproject_path.clone();
    // A `[packages.NAME] tag_prefix` names the in-tree tags; the new repository's tags take the
    // global prefix, so the key goes.
    let config_edit = config_without_tag_prefix(ws, &name)?;
    let config_rel = config_edit.as_ref().map(|(path, _)| ws.rel(path));
    // The locks of staging and prod too: the split may lock them again.
    let locks: Vec<String> = [&staging, &prod]
        .iter()
        .filter_map(|m| {
            let dir = ws.root.join(m.as_str());
            let lock = dir.parent()?.join("uv.lock");
            lock.is_file().then(|| ws.rel(&lock))
        })
        .collect();
    let mut committed: Vec<&str> = vec![&rel, ".gitmodules", &staging, &prod];
    committed.extend(config_rel.as_deref());
    committed.extend(locks.iter().map(String::as_str));
    check_clean(ws, &name, &rel, &committed)?;
    let (url, local) = remote_url(&req.remote, &req.cwd)?;
    let state = ws.root.join(".release_tool/split");
    let work = state.join(format!("{name}.git"));
    let stream_path = state.join(format!("{name}.fast-import"));
    let remote_refs = read_remote(&root_git, &url, local)?;
    // A remote with refs is refused, unless an earlier `split` of this package pushed them
    // and stopped before the root (decided once the stream is known, below).
    if !remote_refs.is_empty() && !work.is_dir() {
        return Err(not_empty(&name, &url, &remote_refs));
    }
    let branch = ws
        .config
        .base_branch_override(&name)
        .unwrap_or(&ws.config.base_branch)
        .to_owned();
    let new_prefix = ws.config.tag_prefix.clone();
    let old_prefix = ws
        .config
        .packages
        .get(&name)
        .and_then(|p| p.tag_prefix.clone())
        .unwrap_or_else(|| format!("{name}-v"));

    let mut warnings = Vec::new();
    let tags = root_tags(&root_git, &old_prefix, &mut warnings)?;
    let commits = history(&root_git, &rel, &tags)?;
    if commits.is_empty() {
        return Err(UserError::usage(format!(
            "Cannot split {name}: no commit of the root repository touches {rel}"
        ))
        .with_hint("commit the package in the root repository first")
        .into());
    }
    let trees = subdir_trees(&root_git, &rel, commits.iter().map(|c| c.id.as_str()));
    let mark: HashMap<&str, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i + 1))
        .collect();

    // The branch head and each tag: the newest commit touching the directory at or below it.
    let head_mark = nearest_mark(&root_git, "HEAD", &rel, &mark)?.ok_or_else(|| {
        UserError::usage(format!(
            "Cannot split {name}: the root's HEAD has no commit that touches {rel}"
        ))
        .with_hint("commit the package in the root repository first")
    })?;
    let mut carried = Vec::new();
    let mut tag_marks = Vec::new();
    let tag_trees = subdir_trees(&root_git, &rel, tags.iter().map(|t| t.commit.as_str()));
    for (tag, tree) in tags.iter().zip(&tag_trees) {
        let version = &tag.name[old_prefix.len()..];
        let new_name = format!("{new_prefix}{version}");
        match nearest_mark(&root_git, &tag.commit, &rel, &mark)? {
            Some(m) if trees[m - 1] == *tree && tree.is_some() => {
                carried.push((tag.name.clone(), new_name.clone()));
                tag_marks.push((tag, new_name, m));
            }
            _ => warnings.push(format!(
                "tag {} is not carried over: {rel} at its commit is not the tree of a commit \
                 of the new history",
                tag.name
            )),
        }
    }

    let stream = fast_import_stream(&commits, &trees, &mark, &branch, head_mark, &tag_marks);
    // The remote holds what an earlier `split` of the same history pushed (the scratch
    // repository it imported into, and its stream, are kept until the root's commit): that
    // run stopped in or after its push, this one goes on from there.
    let pushed = !remote_refs.is_empty();
    if pushed && !already_pushed(&work, &stream_path, &stream, &remote_refs) {
        return Err(not_empty(&name, &url, &remote_refs));
    }
    if pushed {
        warnings.push(format!(
            "{url} already holds what an earlier `split {name}` pushed ({}): going on from there",
            crate::core::text::count(remote_refs.len(), "ref")
        ));
    }

    let objects = root_git.git_path("objects")?;
    let objects = std::path::absolute(&objects).unwrap_or(objects);
    let pkg_name = Some(name.as_str());
    let mut plan = Plan::new(&ws.root);
    if !pushed {
        if work.exists() {
            // Left by an interrupted `split` that did not push (the remote is empty).
            plan.remove_dir(pkg_name, &work);
        }
        plan.mkdir(pkg_name, &state);
        let work_arg = work.to_string_lossy().into_owned();
        plan.git(
            pkg_name,
            &ws.root,
            ["init", "--quiet", "--bare", "-b", &branch, "--", &work_arg],
        );
        plan.create(
            pkg_name,
            work.join("objects/info/alternates"),
            format!("{}\n", objects.display()),
        );
        if stream_path.exists() {
            plan.remove_file(pkg_name, &stream_path);
        }
        plan.create(pkg_name, &stream_path, stream);
        plan.git_input(
            pkg_name,
            &work,
            ["fast-import", "--quiet", "--done"],
            &stream_path,
        );
    }
    // Again after a push that stopped part way: what is there already is left as it is.
    let branch_ref = format!("refs/heads/{branch}:refs/heads/{branch}");
    plan.git(
        pkg_name,
        &work,
        [
            "push",
            "--quiet",
            "--",
            &url,
            &branch_ref,
            "refs/tags/*:refs/tags/*",
        ],
    );

    // The root. First the pins and their locks (uv needs the pushed tag, and may fail: the
    // root's index and directory are then untouched), then the directory becomes a submodule
    // of the new remote, and one commit.
    let mut paths = vec![".gitmodules".to_owned(), rel.clone()];
    let pin_url = crate::workspace::pin_url(&url, &ws.root);
    for manifest in [&staging, &prod] {
        let path = ws.root.join(manifest);
        if !path.is_file() {
            continue;
        }
        let mut doc = PyProject::load(&path)?;
        if repin(&mut doc, &name, &old_prefix, &new_prefix, &pin_url) {
            plan.write(None, &path, doc.render());
            paths.push(manifest.clone());
            // Its lock names the old pin: locked again against the new remote (pushed above).
            let dir = path.parent().unwrap_or(&ws.root).to_path_buf();
            let lock_rel = ws.rel(&dir.join("uv.lock"));
            if locks.contains(&lock_rel) {
                if req.lock {
                    plan.uv(None, &dir, ["lock"]);
                    paths.push(lock_rel);
                } else {
                    warnings.push(format!(
                        "{lock_rel} still names the old pin (--no-lock): run `release-tool lock --all`"
                    ));
                }
            }
        }
    }
    plan.git(None, &ws.root, ["rm", "-r", "-q", "--cached", "--", &rel]);
    plan.remove_dir(None, ws.root.join(&rel));
    let mut add: Vec<&str> = Vec::new();
    if local {
        // git refuses local transports for submodules unless allowed for the call.
        add.extend(["-c", "protocol.file.allow=always"]);
    }
    add.extend([
        "submodule",
        "add",
        "--quiet",
        "-b",
        &branch,
        "--",
        &url,
        &rel,
    ]);
    plan.git(None, &ws.root, add);
    if let (Some((path, text)), Some(rel)) = (&config_edit, &config_rel) {
        plan.write(None, path, text.clone());
        paths.push(rel.clone());
    }
    let mut git_add = vec!["add".to_owned(), "--".to_owned()];
    git_add.extend(paths.iter().cloned());
    plan.git(None, &ws.root, git_add);
    let message = format!("refactor: split {name} into its own repository\n\nRemote: {url}");
    plan.commit_paths(None, &ws.root, &message, &paths);
    // The scratch repository and the stream exist only once the plan runs: pushed as they are
    // (`Plan::remove_*` plan nothing for what does not exist yet).
    for kind in [
        StepKind::RemoveFile { path: stream_path },
        StepKind::RemoveDir { path: work },
        StepKind::RemoveEmptyDir { path: state },
    ] {
        plan.steps.push(Step {
            package: pkg_name.map(str::to_owned),
            kind,
            guard: Guard::None,
        });
    }

    // What a stop part way leaves to put back: the files of the commit that exist now.
    let restore = paths
        .iter()
        .filter(|p| ws.root.join(p.as_str()).exists())
        .cloned()
        .collect();
    Ok(SplitPlan {
        plan,
        name,
        rel_path: rel,
        restore,
        url,
        branch,
        commits: commits.len(),
        tags: carried,
        warnings,
    })
}

fn find_package<'a>(ws: &'a Workspace, name: &str) -> Result<&'a Package> {
    ws.package(name).ok_or_else(|| {
        let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
        let err = UserError::usage(format!("No package named `{name}` in this workspace"));
        match crate::config::nearest(name, &names) {
            Some(n) => err.with_hint(format!("did you mean `{n}`?")),
            None => err.with_hint("`release-tool status` lists the packages"),
        }
        .into()
    })
}

/// The package must be a plain directory tracked in the root repository: no `.git` of its
/// own, not in `.gitmodules`, not a gitlink in the index.
fn check_in_tree(ws: &Workspace, pkg: &Package, root_git: &Git) -> Result<()> {
    let rel = &pkg.rel_path;
    let submodule = pkg.submodule.is_some()
        || ws.submodules.iter().any(|s| s.path == *rel)
        || pkg.dir.join(".git").exists();
    if submodule {
        return Err(UserError::usage(format!(
            "Cannot split {}: {rel} is already a repository of its own (a submodule)",
            pkg.name
        ))
        .with_hint(
            "split graduates in-tree packages (plain directories of the root repository) only",
        )
        .into());
    }
    let staged = root_git.run(["ls-files", "--stage", "--", rel])?;
    if staged.lines().any(|l| l.starts_with("160000 ")) {
        return Err(UserError::usage(format!(
            "Cannot split {}: {rel} is a gitlink in the root's index (a submodule not in .gitmodules)",
            pkg.name
        ))
        .with_hint("split graduates in-tree packages (plain directories of the root repository) only")
        .into());
    }
    if staged.trim().is_empty() {
        return Err(UserError::usage(format!(
            "Cannot split {}: {rel} is not tracked in the root repository",
            pkg.name
        ))
        .with_hint(format!(
            "commit it in the root first (`git -C {} add {rel}`)",
            ws.root.display()
        ))
        .into());
    }
    Ok(())
}

/// No uncommitted change (untracked files included) in the package's directory or in the files
/// the root commit takes.
fn check_clean(ws: &Workspace, name: &str, rel: &str, paths: &[&str]) -> Result<()> {
    // `--no-optional-locks`: a refused split does not even refresh the index.
    let mut args = vec![
        "--no-optional-locks",
        "status",
        "--porcelain",
        "--untracked-files=all",
        "--",
    ];
    args.extend_from_slice(paths);
    let out = Git::new(&ws.root).run(args)?;
    let dirty: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    if dirty.is_empty() {
        return Ok(());
    }
    let mut shown: Vec<String> = dirty.iter().take(5).map(|l| l.trim().to_owned()).collect();
    if dirty.len() > shown.len() {
        shown.push(format!("… (+{} more)", dirty.len() - shown.len()));
    }
    Err(UserError::usage(format!(
        "Cannot split {name}: uncommitted changes in {rel} or the files the split commits: {}",
        shown.join(", ")
    ))
    .with_hint(format!(
        "commit or stash them first (`git -C {} status -- {}`)",
        ws.root.display(),
        paths.join(" ")
    ))
    .into())
}

/// The configuration file with `[packages.NAME] tag_prefix` removed (and the package's table
/// when nothing else is left in it), when the file sets one.
fn config_without_tag_prefix(ws: &Workspace, name: &str) -> Result<Option<(PathBuf, String)>> {
    let path = match &ws.config_source {
        crate::config::ConfigSource::File(p) | crate::config::ConfigSource::Pyproject(p) => p,
        crate::config::ConfigSource::Defaults => return Ok(None),
    };
    let text = fs_err::read_to_string(path)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| UserError::usage(format!("Malformed TOML in {}: {e}", path.display())))?;
    let nested = doc
        .get("tool")
        .and_then(|t| t.get("release_tool"))
        .is_some();
    let top: Option<&mut dyn toml_edit::TableLike> = if nested {
        doc.get_mut("tool")
            .and_then(|t| t.get_mut("release_tool"))
            .and_then(toml_edit::Item::as_table_like_mut)
    } else {
        Some(doc.as_table_mut())
    };
    let Some(packages) = top
        .and_then(|t| t.get_mut("packages"))
        .and_then(toml_edit::Item::as_table_like_mut)
    else {
        return Ok(None);
    };
    let Some(table) = packages
        .get_mut(name)
        .and_then(toml_edit::Item::as_table_like_mut)
    else {
        return Ok(None);
    };
    if table.remove("tag_prefix").is_none() {
        return Ok(None);
    }
    if table.is_empty() {
        packages.remove(name);
    }
    Ok(Some((path.clone(), doc.to_string())))
}

/// The URL to push to and record, and whether it is local. A path is taken from `cwd` and
/// written as a `file://` URL.
fn remote_url(given: &str, cwd: &Path) -> Result<(String, bool)> {
    let trimmed = given.trim();
    if let Err(why) = crate::core::safety::remote_url(trimmed) {
        return Err(
            UserError::usage(format!("Invalid remote URL `{given}`: {why}"))
                .with_hint("pass the URL of the new, empty repository (https, ssh, file or a path)")
                .into(),
        );
    }
    let url = crate::workspace::local_remote_url(trimmed, cwd);
    let local = crate::workspace::is_local_url(&url);
    Ok((url, local))
}

/// The remote's refs (`git ls-remote`: name and object, peeled `^{}` entries and a `HEAD`
/// beside other refs left out, sorted); an error when it does not answer.
fn read_remote(root_git: &Git, url: &str, local: bool) -> Result<Vec<(String, String)>> {
    let mut args = Vec::new();
    if local {
        args.extend(["-c", "protocol.file.allow=always"]);
    }
    args.extend(["ls-remote", "--", url]);
    let out = root_git.run_batch(args).map_err(|e| {
        UserError::failure(format!("Cannot read the remote {url}: {}", reason(&e)))
            .with_hint("create an empty repository there first, and check that you can reach it (`git ls-remote URL`)")
    })?;
    let mut refs: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| {
            let (object, name) = l.split_once('\t')?;
            Some((name.trim().to_owned(), object.trim().to_owned()))
        })
        .filter(|(name, _)| !name.ends_with("^{}"))
        .collect();
    // `HEAD` counts only alone (a remote with a detached HEAD and no branch is not empty).
    if refs.iter().any(|(name, _)| name != "HEAD") {
        refs.retain(|(name, _)| name != "HEAD");
    }
    refs.sort();
    Ok(refs)
}

/// The refusal of a remote that has refs.
fn not_empty(name: &str, url: &str, refs: &[(String, String)]) -> anyhow::Error {
    let first = refs.first().map_or("HEAD", |(r, _)| r.as_str());
    UserError::usage(format!(
        "Cannot split {name}: the remote {url} is not empty ({}, e.g. {first})",
        crate::core::text::count(refs.len(), "ref")
    ))
    .with_hint("split pushes a new history: give it a new, empty repository")
    .into()
}

/// Whether the remote's refs are ones an earlier `split` pushed (all, or part of them when its
/// push stopped): its scratch repository `work` is still there with each of them, imported
/// from a stream equal byte for byte to `stream` (the same history, tags and names, so the
/// same objects).
fn already_pushed(
    work: &Path,
    stream_path: &Path,
    stream: &str,
    remote: &[(String, String)],
) -> bool {
    if std::fs::read(stream_path).ok().as_deref() != Some(stream.as_bytes()) {
        return false;
    }
    // `--git-dir`: a bare repository found by discovery is refused under
    // `safe.bareRepository=explicit`.
    let git_dir = format!("--git-dir={}", work.display());
    let Ok(out) = Git::new(work).run([
        git_dir.as_str(),
        "for-each-ref",
        "--format=%(refname) %(objectname)",
    ]) else {
        return false;
    };
    let refs: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(name, object)| (name.to_owned(), object.trim().to_owned()))
        .collect();
    remote.iter().all(|r| refs.contains(r))
}

fn reason(e: &GitError) -> String {
    e.stderr()
        .and_then(|s| s.lines().find(|l| !l.trim().is_empty()))
        .map_or_else(|| e.to_string(), |l| l.trim().to_owned())
}

/// The root's tags `<name>-v<version>` with their peeled commits (one `for-each-ref`).
fn root_tags(root_git: &Git, prefix: &str, warnings: &mut Vec<String>) -> Result<Vec<RootTag>> {
    let pattern = format!("refs/tags/{prefix}*");
    let out = root_git.run([
        "for-each-ref",
        "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00%(taggername) %(taggeremail) %(taggerdate:raw)%00%(contents)%00%01",
        "--",
        &pattern,
    ])?;
    let mut tags = Vec::new();
    for record in out.split("\0\u{1}\n").filter(|r| !r.is_empty()) {
        let f: Vec<&str> = record.splitn(7, '\0').collect();
        let [name, kind, object, peeled_kind, peeled, tagger, contents] = f[..] else {
            continue;
        };
        let rest = &name[prefix.len()..];
        if crate::python::version::parse(rest).is_err() {
            continue;
        }
        let tag = match kind {
            "commit" => RootTag {
                name: name.to_owned(),
                commit: object.to_owned(),
                annotated: None,
            },
            "tag" if peeled_kind == "commit" => RootTag {
                name: name.to_owned(),
                commit: peeled.to_owned(),
                annotated: Some((tagger.to_owned(), contents.to_owned())),
            },
            _ => {
                warnings.push(format!(
                    "tag {name} is not carried over: it does not point at a commit directly"
                ));
                continue;
            }
        };
        tags.push(tag);
    }
    Ok(tags)
}

/// The commits touching `rel` reachable from `HEAD` and the tags, parents first, each with its
/// parents rewritten to the nearest commits touching `rel` (git's history simplification).
fn history(root_git: &Git, rel: &str, tags: &[RootTag]) -> Result<Vec<Commit>> {
    let mut args = vec![
        "log".to_owned(),
        "--topo-order".to_owned(),
        "--reverse".to_owned(),
        "--parents".to_owned(),
        "-z".to_owned(),
        "--date=raw".to_owned(),
        "--format=%H%x00%P%x00%an <%ae> %ad%x00%cn <%ce> %cd%x00%B".to_owned(),
        "HEAD".to_owned(),
    ];
    args.extend(tags.iter().map(|t| t.commit.clone()));
    args.push("--".to_owned());
    args.push(rel.to_owned());
    let out = root_git.run(args)?;
    let fields: Vec<&str> = out.trim_end_matches('\0').split('\0').collect();
    let mut commits = Vec::new();
    for c in fields.chunks(5) {
        let [id, parents, author, committer, message] = c else {
            anyhow::bail!(
                "unexpected output of git log in {}",
                root_git.dir().display()
            );
        };
        let mut ps: Vec<String> = Vec::new();
        for p in parents.split_whitespace() {
            if !ps.iter().any(|q| q == p) {
                ps.push(p.to_owned());
            }
        }
        commits.push(Commit {
            id: (*id).to_owned(),
            parents: ps,
            author: (*author).to_owned(),
            committer: (*committer).to_owned(),
            message: (*message).to_owned(),
        });
    }
    Ok(commits)
}

/// The tree of `rel` in each commit (`None` where it does not exist): one `rev-parse` per
/// [`TREES_PER_CALL`] commits, one per commit only in a batch where the directory is missing.
fn subdir_trees<'a>(
    root_git: &Git,
    rel: &str,
    commits: impl Iterator<Item = &'a str>,
) -> Vec<Option<String>> {
    let specs: Vec<String> = commits.map(|c| format!("{c}:{rel}")).collect();
    let mut trees = Vec::with_capacity(specs.len());
    for chunk in specs.chunks(TREES_PER_CALL) {
        let mut args = vec!["rev-parse".to_owned()];
        args.extend(chunk.iter().cloned());
        if let Ok(out) = root_git.run(&args) {
            trees.extend(out.lines().map(|l| Some(l.trim().to_owned())));
            continue;
        }
        for spec in chunk {
            let one = root_git.run(["rev-parse", "-q", "--verify", spec.as_str()]);
            trees.push(one.ok().map(|o| o.trim().to_owned()));
        }
    }
    trees
}

/// The mark of the newest commit touching `rel` at or below `rev`.
fn nearest_mark(
    root_git: &Git,
    rev: &str,
    rel: &str,
    mark: &HashMap<&str, usize>,
) -> Result<Option<usize>> {
    let id = root_git.rev_parse(rev)?;
    if let Some(m) = mark.get(id.as_str()) {
        return Ok(Some(*m));
    }
    let out = root_git.run(["rev-list", "-1", &id, "--", rel])?;
    Ok(mark.get(out.trim()).copied())
}

/// `data` of a fast-import stream: the byte count, then the bytes.
fn data(out: &mut String, text: &str) {
    let _ = writeln!(out, "data {}", text.len());
    out.push_str(text);
    out.push('\n');
}

/// The `git fast-import` stream of the new repository.
fn fast_import_stream(
    commits: &[Commit],
    trees: &[Option<String>],
    mark: &HashMap<&str, usize>,
    branch: &str,
    head: usize,
    tags: &[(&RootTag, String, usize)],
) -> String {
    let branch_ref = format!("refs/heads/{branch}");
    let mut out = String::new();
    for (i, c) in commits.iter().enumerate() {
        let parents: Vec<usize> = c
            .parents
            .iter()
            .filter_map(|p| mark.get(p.as_str()).copied())
            .collect();
        if parents.is_empty() {
            // A root commit: without `from` fast-import would take the branch's last commit.
            let _ = writeln!(out, "reset {branch_ref}");
        }
        let _ = writeln!(out, "commit {branch_ref}\nmark :{}", i + 1);
        let _ = writeln!(out, "author {}\ncommitter {}", c.author, c.committer);
        data(&mut out, &c.message);
        if let Some((first, rest)) = parents.split_first() {
            let _ = writeln!(out, "from :{first}");
            for m in rest {
                let _ = writeln!(out, "merge :{m}");
            }
        }
        match &trees[i] {
            Some(tree) => {
                let _ = writeln!(out, "M 040000 {tree} \"\"");
            }
            None => out.push_str("deleteall\n"),
        }
        out.push('\n');
    }
    for (tag, new_name, m) in tags {
        match &tag.annotated {
            Some((tagger, message)) => {
                // The `data` of a tag ends the command: no blank line after it.
                let _ = writeln!(out, "tag {new_name}\nfrom :{m}");
                // A tag made without a tagger (old git, some tools) stays without one.
                if !tagger.starts_with(" <> ") {
                    let _ = writeln!(out, "tagger {tagger}");
                }
                data(&mut out, message);
            }
            None => {
                let _ = writeln!(out, "reset refs/tags/{new_name}\nfrom :{m}\n");
            }
        }
    }
    let _ = writeln!(out, "reset {branch_ref}\nfrom :{head}\n\ndone");
    out
}

/// A `{ git = <root remote>, tag = "<name>-v<ver>", subdirectory = ... }` pin of the package
/// becomes `{ git = <new remote>, tag = "<prefix><ver>" }`; returns whether it changed.
fn repin(doc: &mut PyProject, name: &str, old_prefix: &str, new_prefix: &str, url: &str) -> bool {
    let key = pyproject::normalize_name(name);
    let Some((_, item)) = doc
        .uv_source_items()
        .into_iter()
        .find(|(k, _)| pyproject::normalize_name(k) == key)
    else {
        return false;
    };
    let Some(table) = item.as_table_like() else {
        return false;
    };
    if table.get("subdirectory").is_none() || table.get("git").is_none() {
        return false;
    }
    let Some(tag) = table
        .get("tag")
        .and_then(toml_edit::Item::as_str)
        .and_then(|t| t.strip_prefix(old_prefix))
    else {
        return false;
    };
    let mut pin = toml_edit::InlineTable::new();
    pin.insert("git", url.into());
    pin.insert("tag", format!("{new_prefix}{tag}").into());
    let value = toml_edit::Item::Value(toml_edit::Value::InlineTable(pin));
    doc.set_source_item(name, Some(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_resets_root_commits_and_counts_bytes() {
        let commits = vec![
            Commit {
                id: "a".into(),
                parents: vec![],
                author: "A <a@x> 1 +0000".into(),
                committer: "C <c@x> 1 +0000".into(),
                message: "é\n".into(),
            },
            Commit {
                id: "b".into(),
                parents: vec!["a".into()],
                author: "A <a@x> 2 +0000".into(),
                committer: "C <c@x> 2 +0000".into(),
                message: "two\n".into(),
            },
        ];
        let mark: HashMap<&str, usize> = [("a", 1), ("b", 2)].into_iter().collect();
        let tag = RootTag {
            name: "p-v1".into(),
            commit: "b".into(),
            annotated: Some(("T <t@x> 3 +0000".into(), "rel\n".into())),
        };
        let text = fast_import_stream(
            &commits,
            &[Some("t1".into()), None],
            &mark,
            "main",
            2,
            &[(&tag, "v1".into(), 2)],
        );
        assert!(text.starts_with("reset refs/heads/main\ncommit refs/heads/main\nmark :1\n"));
        assert!(text.contains("data 3\né\n\n"), "{text}");
        assert!(text.contains("from :1\ndeleteall\n"), "{text}");
        assert!(text.contains("tag v1\nfrom :2\ntagger T <t@x> 3 +0000\ndata 4\nrel\n"));
        assert!(text.ends_with("reset refs/heads/main\nfrom :2\n\ndone\n"));
    }
}
