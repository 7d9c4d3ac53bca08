//! Plans (docs/reference.md §4): every mutating command first builds a plan, an ordered list of typed
//! steps; `--dry-run` prints it and changes nothing, a real run executes exactly those steps.

pub mod executor;
pub mod journal;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::core::fsutil::atomic_write;
use crate::core::text::shell_words_shown;
use crate::forge::ForgeCall;
use crate::python::uv::Uv;

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// Create or replace a file (`before` is `None` for a new file).
    WriteFile {
        path: PathBuf,
        before: Option<String>,
        after: String,
    },
    /// Create a directory (and its parents).
    CreateDir { path: PathBuf },
    /// Delete a directory and everything in it (only ever inside the plan's root).
    RemoveDir { path: PathBuf },
    /// Delete one file (only ever inside the plan's root; never a directory).
    RemoveFile { path: PathBuf },
    /// Delete a directory if it is empty by then (only ever inside the plan's root); a
    /// directory that still holds something is left alone.
    RemoveEmptyDir { path: PathBuf },
    /// Run `git -C dir args...`.
    Git { dir: PathBuf, args: Vec<String> },
    /// Run `git -C dir args...` with its stdin read from the file `input` (written by an
    /// earlier step): the stream of `git fast-import`.
    GitInput {
        dir: PathBuf,
        args: Vec<String>,
        input: PathBuf,
    },
    /// Run `uv args...` in `dir`; git (uv's) fetches each URL of `redirects` from the local
    /// repository that holds the tags not pushed yet (as [`StepKind::ProveLock`] does).
    Uv {
        dir: PathBuf,
        args: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        redirects: Vec<Redirect>,
    },
    /// A forge API call (a release, a pull request); the token is never part of it.
    Forge { call: ForgeCall },
    /// Prove that a manifest resolves before anything is pushed: `uv lock` of `content` (the
    /// manifest as the plan will write it) in a temporary directory, with git told to fetch
    /// each URL of `redirects` (`from`, the remote as the manifest and the packages name it)
    /// from `to` (the local repository that holds the tags not pushed yet). Changes nothing;
    /// in a grouped plan it runs after every package's local steps and before the first push
    /// or forge call.
    ProveLock {
        manifest: PathBuf,
        content: String,
        redirects: Vec<Redirect>,
    },
    /// Run a container engine (`docker`, `podman`, `buildah`) with `args` in `dir`; the
    /// executor runs it with the engine the `docker` command found ([`executor::Options`]).
    Engine {
        dir: PathBuf,
        engine: String,
        args: Vec<String>,
        /// A push whose image digest is kept ([`ImageDigest`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digest: Option<ImageDigest>,
    },
    /// One model call (`changes --llm`, `notes --llm`): `system` and `user` sent to `endpoint`
    /// (`model`), the answer written to `target` (atomically) after `header` (a tag message's
    /// marker, else empty). The executor calls the model through [`executor::Options::llm`],
    /// which the `llm` layer gives it (this layer knows no model client); without one, or when
    /// the model did not answer, the step is skipped with the reason and the file keeps what
    /// the plan wrote before it.
    Llm {
        target: PathBuf,
        endpoint: String,
        model: String,
        system: String,
        user: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        header: String,
    },
}

/// The model call of a [`StepKind::Llm`] step, given to the executor by the layer that knows
/// the model's client ([`executor::Options::llm`]).
pub trait Ask: Sync {
    /// The model's answer (post-processed) for `package`; `Err(reason)` when there is none
    /// (the caller keeps the error to report it; the step is skipped with `reason`).
    fn ask(&self, package: &str, system: &str, user: &str) -> std::result::Result<String, String>;
}

/// Where an image push keeps the digest of what it pushed: `file` gets `<image>@sha256:…`
/// (one line) once the push succeeded. podman and buildah write the bare digest there
/// themselves (`--digestfile`, in the step's arguments); docker's is read from its output
/// (`<tag>: digest: sha256:… size: …`). The product's forge release attaches the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageDigest {
    pub file: PathBuf,
    /// The image's name without tag (`registry/owner/name`).
    pub image: String,
}

/// In the arguments of a [`StepKind::Engine`] step: the root's `HEAD` when the step runs (the
/// full commit hash). The image a release builds as its last step is stamped with the root's
/// release commit, which does not exist yet when the plan is made; `--dry-run` shows the token.
pub const ROOT_HEAD: &str = "{root_head}";
/// The same, cut to 12 characters (an image tag's `{revision}`).
pub const ROOT_HEAD_SHORT: &str = "{root_head_short}";
/// The commit time of the root's `HEAD` when the step runs, RFC 3339 in UTC.
pub const ROOT_HEAD_TIME: &str = "{root_head_time}";

/// `args` with [`ROOT_HEAD`], [`ROOT_HEAD_SHORT`] and [`ROOT_HEAD_TIME`] replaced by what the
/// root's `HEAD` is now (no git call when no argument has one).
pub fn resolve_root_head(root: &Path, args: &[String]) -> Result<Vec<String>> {
    if !args.iter().any(|a| a.contains("{root_head")) {
        return Ok(args.to_vec());
    }
    let git = crate::git::Git::new(root).with_env(&[("TZ", "UTC")]);
    let head = git.rev_parse("HEAD")?;
    let time = git
        .run([
            "log",
            "-1",
            "--format=%cd",
            "--date=format-local:%Y-%m-%dT%H:%M:%SZ",
            "HEAD",
        ])?
        .trim()
        .to_owned();
    let short: String = head.chars().take(12).collect();
    Ok(args
        .iter()
        .map(|a| {
            a.replace(ROOT_HEAD_SHORT, &short)
                .replace(ROOT_HEAD_TIME, &time)
                .replace(ROOT_HEAD, &head)
        })
        .collect())
}

/// A remote URL fetched from somewhere else ([`StepKind::ProveLock`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub from: String,
    pub to: String,
}

/// How the executor tells that a step is already done, so that a resumed run never repeats
/// it (docs/reference.md §4). File writes need no guard: their before/after contents say it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "guard", rename_all = "snake_case")]
pub enum Guard {
    #[default]
    None,
    /// A commit with this message: done when HEAD moved since the step started and HEAD's
    /// message is this one.
    Commit { message: String },
    /// An annotated tag on `target`: done when the tag exists on that commit; an error when it
    /// exists on another one.
    Tag { name: String, target: String },
    /// A push of full ref names: done when the remote has every ref at its local value.
    Push { remote: String, refs: Vec<String> },
    /// A `git fast-import` of a release ([`Plan::import`]): commits on `branch` from `from` and
    /// the annotated tag `tag` on the first. Done when the tag exists on a commit the branch
    /// contains (fast-import writes the branch before the tags); an error when it exists
    /// elsewhere. Redone otherwise: the same stream makes the same objects.
    Import {
        branch: String,
        from: String,
        tag: String,
    },
}

impl Guard {
    fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The package the step belongs to; `None` for the root.
    pub package: Option<String>,
    #[serde(flatten)]
    pub kind: StepKind,
    #[serde(default, skip_serializing_if = "Guard::is_none")]
    pub guard: Guard,
}

/// The JSON form of a step (docs/reference.md §4): `{package, action, detail}`, with `argv`
/// for a process step and `path` for a file step; in a document of a run, the step's `state`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct StepJson {
    /// The package the step belongs to; `null` for the root.
    pub package: Option<String>,
    /// `create`, `edit`, `mkdir`, `delete`, `rmdir`, `git`, `uv`, `forge`, `engine`, `prove`
    /// (and `llm` in the `--llm` dry run).
    pub action: &'static str,
    /// The step in one line, as the text plan shows it (a command as a shell line).
    pub detail: String,
    /// A process step (`git`, `uv`, `engine`): the command, program first, every argument
    /// whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    /// A process step: the directory it runs in, relative to the root (`.` for the root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// A file step: the path, relative to the root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// In the document of a run: what became of the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<StepOutcome>,
    /// In the document of a run: what the step said (a forge release's URL, why it was
    /// skipped, why it failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl StepJson {
    /// A step with no argv, path or state.
    pub fn new(package: Option<String>, action: &'static str, detail: String) -> Self {
        Self {
            package,
            action,
            detail,
            argv: None,
            dir: None,
            path: None,
            state: None,
            note: None,
        }
    }
}

/// What became of a step in a run (`--json` without `--dry-run`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Done, by this run or by the earlier run it resumed.
    Done,
    /// Nothing to do (a forge step without a token, a pull request already open...).
    Skipped,
    /// Found already done when the run came to it (a resumed run's probe).
    AlreadyDone,
    /// Failed: the command exits 1.
    Failed,
    /// Not run: the run stopped before it (a failure it waits for).
    NotRun,
}

/// The `--json` document of a plan (`--dry-run`, `dry_run: true`) or of the plan a command ran
/// (`dry_run: false`, each step with its `state`).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PlanJson {
    pub dry_run: bool,
    pub steps: Vec<StepJson>,
}

impl PlanJson {
    /// The steps of a dry run.
    pub fn dry_run(steps: Vec<StepJson>) -> Self {
        Self {
            dry_run: true,
            steps,
        }
    }

    /// The steps of a run that went through all of them.
    pub fn done(steps: Vec<StepJson>) -> Self {
        Self {
            dry_run: false,
            steps: steps
                .into_iter()
                .map(|s| StepJson {
                    state: Some(StepOutcome::Done),
                    ..s
                })
                .collect(),
        }
    }
}

/// The options before `commit` of a plan's commit that another commit in the same repository
/// follows: git's automatic maintenance (`git maintenance run --auto`, a process each commit
/// starts) runs once, after the last one, as the user's configuration says.
pub const NO_AUTO_MAINTENANCE: [&str; 2] = ["-c", "maintenance.auto=false"];

/// Where a release's `git fast-import` streams are written ([`Plan::import`]), in the root.
pub const IMPORT_DIR: &str = ".release_tool/import";

/// An ordered list of steps, built against a root directory (paths are shown relative to it).
///
/// A plain plan runs its steps one after the other. A *grouped* plan runs the steps of each
/// package in order, packages in parallel, a package only after the packages it waits for
/// (`after`), and the root's steps last, after every package.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Plan {
    pub root: PathBuf,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub grouped: bool,
    /// package → the packages whose steps must be done before its own start (grouped plans).
    #[serde(default)]
    pub after: BTreeMap<String, Vec<String>>,
    /// package → the unit it shares with other packages (grouped plans): packages of one
    /// repository (the root's in-tree packages) run their steps in one unit, one after the
    /// other in plan order, never in parallel in the same work tree.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub shared: BTreeMap<String, String>,
    #[serde(skip)]
    write_index: WriteIndex,
}

/// Where the last write of each path is among a plan's steps, for [`Plan::planned_content`]: a
/// release of a thousand packages asks for thousands of files, and scanning every step each
/// time made planning quadratic. Built lazily over the steps not indexed yet (steps are only
/// ever appended); a clone starts empty and indexes again.
/// It also knows the last commit step of each repository ([`Plan::commit_paths`]).
#[derive(Debug, Default)]
struct WriteIndex(std::sync::Mutex<IndexState>);

#[derive(Debug, Default)]
struct IndexState {
    /// How many steps are indexed.
    indexed: usize,
    /// path → the last step that writes it.
    writes: std::collections::HashMap<PathBuf, usize>,
    /// repository → its last commit step.
    commits: std::collections::HashMap<PathBuf, usize>,
    /// repositories a release's commits are imported into ([`Guard::Import`]).
    imports: std::collections::HashSet<PathBuf>,
}

impl Clone for WriteIndex {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Plan {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            steps: Vec::new(),
            grouped: false,
            after: BTreeMap::new(),
            shared: BTreeMap::new(),
            write_index: WriteIndex::default(),
        }
    }

    /// The index, brought up to date with the steps.
    fn index(&self) -> std::sync::MutexGuard<'_, IndexState> {
        let mut guard = self
            .write_index
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = &mut *guard;
        if state.indexed > self.steps.len() {
            *state = IndexState::default();
        }
        for (i, step) in self.steps.iter().enumerate().skip(state.indexed) {
            match (&step.kind, &step.guard) {
                (StepKind::WriteFile { path, .. }, _) => {
                    state.writes.insert(path.clone(), i);
                }
                (StepKind::Git { dir, .. }, Guard::Commit { .. }) => {
                    state.commits.insert(dir.clone(), i);
                }
                (StepKind::GitInput { dir, .. }, Guard::Import { .. }) => {
                    state.imports.insert(dir.clone());
                }
                _ => {}
            }
        }
        state.indexed = self.steps.len();
        guard
    }

    /// The index of the last step that writes `path`.
    fn last_write(&self, path: &Path) -> Option<usize> {
        let i = *self.index().writes.get(path)?;
        matches!(&self.steps[i].kind, StepKind::WriteFile { path: p, .. } if p == path).then_some(i)
    }

    /// The index of the last commit step in the repository `dir`.
    fn last_commit(&self, dir: &Path) -> Option<usize> {
        let i = *self.index().commits.get(dir)?;
        matches!(
            (&self.steps[i].kind, &self.steps[i].guard),
            (StepKind::Git { dir: d, .. }, Guard::Commit { .. }) if d == dir
        )
        .then_some(i)
    }

    /// Whether the plan makes a commit in the repository `dir` (a commit step or an import of
    /// a release's commits).
    pub fn commits_in(&self, dir: &Path) -> bool {
        self.last_commit(dir).is_some() || self.index().imports.contains(dir)
    }

    /// The unit a package's steps run in: its shared unit ([`Plan::shared`]) or its own.
    pub fn unit_of<'a>(&'a self, package: &'a str) -> &'a str {
        self.shared.get(package).map_or(package, String::as_str)
    }

    /// A grouped plan (see [`Plan`]).
    pub fn grouped(root: impl Into<PathBuf>) -> Self {
        Self {
            grouped: true,
            ..Self::new(root)
        }
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    fn push(&mut self, package: Option<&str>, kind: StepKind) {
        self.push_guarded(package, kind, Guard::None);
    }

    fn push_guarded(&mut self, package: Option<&str>, kind: StepKind, guard: Guard) {
        self.steps.push(Step {
            package: package.map(str::to_owned),
            kind,
            guard,
        });
    }

    /// The content `path` has at this point of the plan: the last planned write, else the disk.
    pub fn current_content(&self, path: &Path) -> Option<String> {
        self.planned_content(path)
            .or_else(|| fs_err::read_to_string(path).ok())
    }

    /// `git commit --quiet -m <message>` of what is staged, guarded so it is never made twice.
    pub fn commit(&mut self, package: Option<&str>, dir: impl Into<PathBuf>, message: &str) {
        self.commit_paths(package, dir, message, &[]);
    }

    /// `git commit --quiet -m <message> --only -- <paths>`: a commit of exactly `paths` (as
    /// an earlier step wrote and added them), whatever else is staged: a file the user staged
    /// meanwhile stays staged and out of the commit. Guarded so it is never made twice. No
    /// paths: what is staged ([`Plan::commit`]).
    pub fn commit_paths(
        &mut self,
        package: Option<&str>,
        dir: impl Into<PathBuf>,
        message: &str,
        paths: &[String],
    ) {
        let mut args = vec![
            "commit".to_owned(),
            "--quiet".to_owned(),
            "-m".to_owned(),
            message.to_owned(),
        ];
        if !paths.is_empty() {
            args.extend(["--only".to_owned(), "--".to_owned()]);
            args.extend(paths.iter().cloned());
        }
        let dir = dir.into();
        // git's auto-maintenance once per repository, after its last commit of the plan (as
        // git's own sequencer does): the commit before this one skips it.
        if let Some(before) = self.last_commit(&dir)
            && let StepKind::Git { args: earlier, .. } = &mut self.steps[before].kind
            && earlier.first().is_some_and(|a| a == "commit")
        {
            earlier.splice(0..0, NO_AUTO_MAINTENANCE.iter().map(|&a| a.to_owned()));
        }
        self.push_guarded(
            package,
            StepKind::Git { dir, args },
            Guard::Commit {
                message: message.to_owned(),
            },
        );
    }

    /// An annotated tag `name` on `target` with `message`, guarded: done when it is already
    /// there on that commit, an error when it is on another one. The message is kept as it is
    /// (`--cleanup=whitespace`): git's default for tags strips `#` lines, the Markdown headings of
    /// release notes.
    pub fn tag(
        &mut self,
        package: Option<&str>,
        dir: impl Into<PathBuf>,
        name: &str,
        target: &str,
        message: &str,
    ) {
        self.push_guarded(
            package,
            StepKind::Git {
                dir: dir.into(),
                // `--cleanup=whitespace`: git's default for tags (`strip`) drops every line
                // that starts with `#`, the Markdown headings of the notes among them.
                args: vec![
                    "tag".to_owned(),
                    "--annotate".to_owned(),
                    "--cleanup=whitespace".to_owned(),
                    "--message".to_owned(),
                    message.to_owned(),
                    "--".to_owned(),
                    name.to_owned(),
                    target.to_owned(),
                ],
            },
            Guard::Tag {
                name: name.to_owned(),
                target: target.to_owned(),
            },
        );
    }

    /// A release's commits and tag written by one `git fast-import` of `stream` (see
    /// `git::fastcommit`): the stream written to `stream_path` (a file of the state directory),
    /// imported (guarded, [`Guard::Import`]), the index brought in line with the new HEAD for
    /// `paths` (`git reset --quiet -- <paths>`: the work tree holds their content already, and
    /// nothing else the user staged is touched), and the stream removed.
    #[allow(clippy::too_many_arguments)]
    pub fn import(
        &mut self,
        package: Option<&str>,
        dir: impl Into<PathBuf>,
        stream_path: PathBuf,
        stream: String,
        guard: Guard,
        paths: &[String],
    ) {
        let dir = dir.into();
        if stream_path.exists() || self.writes(&stream_path) {
            self.push(
                package,
                StepKind::RemoveFile {
                    path: stream_path.clone(),
                },
            );
        }
        self.push(
            package,
            StepKind::WriteFile {
                path: stream_path.clone(),
                before: None,
                after: stream,
            },
        );
        self.push_guarded(
            package,
            StepKind::GitInput {
                dir: dir.clone(),
                // A pack kept as it is: below git's `fastimport.unpackLimit` (100 objects by
                // default) fast-import would start `git unpack-objects` to make them loose.
                args: vec![
                    "-c".to_owned(),
                    "fastimport.unpackLimit=1".to_owned(),
                    "fast-import".to_owned(),
                    "--quiet".to_owned(),
                    "--done".to_owned(),
                    "--date-format=raw".to_owned(),
                ],
                input: stream_path.clone(),
            },
            guard,
        );
        let mut args = vec!["reset".to_owned(), "--quiet".to_owned(), "--".to_owned()];
        args.extend(paths.iter().cloned());
        self.push(package, StepKind::Git { dir, args });
        self.push(package, StepKind::RemoveFile { path: stream_path });
    }

    /// `git push <remote> <ref>...` of full ref names (`refs/heads/main`, `refs/tags/v1.0.0`),
    /// guarded: done when the remote already has them all at their local values. Several refs
    /// go with `--atomic`: the remote takes all of them or none (never a branch with the release
    /// commit but without its tag).
    pub fn push_refs(
        &mut self,
        package: Option<&str>,
        dir: impl Into<PathBuf>,
        remote: &str,
        refs: &[String],
    ) {
        let mut args = vec!["push".to_owned(), "--quiet".to_owned()];
        if refs.len() > 1 {
            args.push("--atomic".to_owned());
        }
        args.push(remote.to_owned());
        args.extend(refs.iter().map(|r| format!("{r}:{r}")));
        self.push_guarded(
            package,
            StepKind::Git {
                dir: dir.into(),
                args,
            },
            Guard::Push {
                remote: remote.to_owned(),
                refs: refs.to_vec(),
            },
        );
    }

    /// A forge call.
    pub fn forge(&mut self, package: Option<&str>, call: ForgeCall) {
        self.push(package, StepKind::Forge { call });
    }

    /// Write `after` to `path` unless it already has exactly that content.
    pub fn write(
        &mut self,
        package: Option<&str>,
        path: impl Into<PathBuf>,
        after: impl Into<String>,
    ) {
        let path = path.into();
        let after = after.into();
        let before = self.current_content(&path);
        if before.as_deref() != Some(after.as_str()) {
            self.push(
                package,
                StepKind::WriteFile {
                    path,
                    before,
                    after,
                },
            );
        }
    }

    /// Create `path` with `contents` only if it does not exist (never clobber).
    pub fn create(
        &mut self,
        package: Option<&str>,
        path: impl Into<PathBuf>,
        contents: impl Into<String>,
    ) {
        let path = path.into();
        if !path.exists() && !self.writes(&path) {
            self.push(
                package,
                StepKind::WriteFile {
                    path,
                    before: None,
                    after: contents.into(),
                },
            );
        }
    }

    /// Whether an earlier step of this plan writes `path`.
    pub fn writes(&self, path: &Path) -> bool {
        self.last_write(path).is_some()
    }

    /// The content a file will have after the steps planned so far.
    pub fn planned_content(&self, path: &Path) -> Option<String> {
        match &self.steps[self.last_write(path)?].kind {
            StepKind::WriteFile { after, .. } => Some(after.clone()),
            _ => None,
        }
    }

    /// Create a directory.
    pub fn mkdir(&mut self, package: Option<&str>, path: impl Into<PathBuf>) {
        let path = path.into();
        if !path.is_dir() {
            self.push(package, StepKind::CreateDir { path });
        }
    }

    /// Delete a directory inside the root and everything in it (nothing if it does not exist).
    pub fn remove_dir(&mut self, package: Option<&str>, path: impl Into<PathBuf>) {
        let path = path.into();
        if path.exists() {
            self.push(package, StepKind::RemoveDir { path });
        }
    }

    /// Delete a directory inside the root that earlier steps of the plan make (a build
    /// directory): planned even though it does not exist yet; nothing if it is gone by then.
    pub fn remove_dir_made_by_run(&mut self, package: Option<&str>, path: impl Into<PathBuf>) {
        self.push(package, StepKind::RemoveDir { path: path.into() });
    }

    /// Delete one file inside the root (nothing if it does not exist).
    pub fn remove_file(&mut self, package: Option<&str>, path: impl Into<PathBuf>) {
        let path = path.into();
        if fs_err::symlink_metadata(&path).is_ok() {
            self.push(package, StepKind::RemoveFile { path });
        }
    }

    /// Delete a directory inside the root once it is empty (nothing if it does not exist).
    pub fn remove_empty_dir(&mut self, package: Option<&str>, path: impl Into<PathBuf>) {
        let path = path.into();
        if path.is_dir() {
            self.push(package, StepKind::RemoveEmptyDir { path });
        }
    }

    /// Run git in `dir`.
    pub fn git<I, S>(&mut self, package: Option<&str>, dir: impl Into<PathBuf>, args: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args = args.into_iter().map(Into::into).collect();
        self.push(
            package,
            StepKind::Git {
                dir: dir.into(),
                args,
            },
        );
    }

    /// Run git in `dir` with its stdin read from the file `input`.
    pub fn git_input<I, S>(
        &mut self,
        package: Option<&str>,
        dir: impl Into<PathBuf>,
        args: I,
        input: impl Into<PathBuf>,
    ) where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args = args.into_iter().map(Into::into).collect();
        self.push(
            package,
            StepKind::GitInput {
                dir: dir.into(),
                args,
                input: input.into(),
            },
        );
    }

    /// Run uv in `dir`.
    pub fn uv<I, S>(&mut self, package: Option<&str>, dir: impl Into<PathBuf>, args: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args = args.into_iter().map(Into::into).collect();
        self.push(
            package,
            StepKind::Uv {
                dir: dir.into(),
                args,
                redirects: Vec::new(),
            },
        );
    }

    /// Run uv in `dir` with `redirects` ([`StepKind::Uv`]): a lock of tags not pushed yet.
    pub fn uv_redirected(
        &mut self,
        package: Option<&str>,
        dir: impl Into<PathBuf>,
        args: &[&str],
        redirects: Vec<Redirect>,
    ) {
        self.push(
            package,
            StepKind::Uv {
                dir: dir.into(),
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                redirects,
            },
        );
    }

    /// Prove that `manifest` with `content` resolves before the first push
    /// ([`StepKind::ProveLock`]).
    pub fn prove_lock(
        &mut self,
        manifest: impl Into<PathBuf>,
        content: String,
        redirects: Vec<Redirect>,
    ) {
        self.push(
            None,
            StepKind::ProveLock {
                manifest: manifest.into(),
                content,
                redirects,
            },
        );
    }

    /// Run a container engine in `dir`.
    pub fn engine(
        &mut self,
        package: Option<&str>,
        dir: impl Into<PathBuf>,
        engine: &str,
        args: Vec<String>,
    ) {
        self.push(
            package,
            StepKind::Engine {
                dir: dir.into(),
                engine: engine.to_owned(),
                args,
                digest: None,
            },
        );
    }

    /// Push an image with a container engine in `dir`, keeping the pushed digest as
    /// `digest` says.
    pub fn engine_push(
        &mut self,
        dir: impl Into<PathBuf>,
        engine: &str,
        args: Vec<String>,
        digest: ImageDigest,
    ) {
        self.push(
            None,
            StepKind::Engine {
                dir: dir.into(),
                engine: engine.to_owned(),
                args,
                digest: Some(digest),
            },
        );
    }

    /// A model call: `POST <endpoint> (model m, N-byte prompt) → <target>`.
    fn llm_line(&self, kind: &StepKind) -> String {
        let StepKind::Llm {
            target,
            endpoint,
            model,
            system,
            user,
            ..
        } = kind
        else {
            return String::new();
        };
        format!(
            "POST {endpoint} (model {model}, {}-byte prompt) → {}",
            system.len() + user.len(),
            self.rel(target)
        )
    }

    /// A model call whose answer goes to `target` ([`StepKind::Llm`]).
    pub fn llm(&mut self, package: Option<&str>, kind: StepKind) {
        debug_assert!(matches!(kind, StepKind::Llm { .. }));
        self.push(package, kind);
    }

    /// An engine command as a shell line: `engine args` in the root, else in a subshell.
    fn engine_line(
        &self,
        dir: &Path,
        engine: &str,
        args: &[String],
        digest: Option<&ImageDigest>,
    ) -> String {
        let rel = self.rel(dir);
        let mut line = if rel == "." {
            format!("{engine} {}", shell_words_shown(args))
        } else {
            format!("(cd {rel} && {engine} {})", shell_words_shown(args))
        };
        if let Some(d) = digest {
            let _ = write!(line, ", its digest kept in {}", self.rel(&d.file));
        }
        line
    }

    /// `path` relative to the plan's root, for output (`.` for the root itself).
    fn rel(&self, path: &Path) -> String {
        if path == self.root {
            return ".".to_owned();
        }
        crate::core::fsutil::rel(&self.root, path)
    }

    /// The steps as docs/reference.md §4 JSON.
    pub fn to_json(&self) -> Vec<StepJson> {
        self.steps
            .iter()
            .map(|s| {
                let (mut argv, mut dir, mut path) = (None, None, None);
                match &s.kind {
                    StepKind::WriteFile { path: p, .. }
                    | StepKind::CreateDir { path: p }
                    | StepKind::RemoveDir { path: p }
                    | StepKind::RemoveFile { path: p }
                    | StepKind::RemoveEmptyDir { path: p } => path = Some(self.rel(p)),
                    StepKind::Git { dir: d, args } | StepKind::GitInput { dir: d, args, .. } => {
                        let rel = self.rel(d);
                        argv = Some(
                            ["git", "-C", rel.as_str()]
                                .into_iter()
                                .map(str::to_owned)
                                .chain(args.iter().cloned())
                                .collect(),
                        );
                        dir = Some(rel);
                    }
                    StepKind::Uv { dir: d, args, .. } => {
                        argv = Some(
                            std::iter::once("uv".to_owned())
                                .chain(args.iter().cloned())
                                .collect(),
                        );
                        dir = Some(self.rel(d));
                    }
                    StepKind::Engine {
                        dir: d,
                        engine,
                        args,
                        ..
                    } => {
                        argv = Some(
                            std::iter::once(engine.clone())
                                .chain(args.iter().cloned())
                                .collect(),
                        );
                        dir = Some(self.rel(d));
                    }
                    StepKind::Llm { target, .. } => path = Some(self.rel(target)),
                    StepKind::Forge { .. } | StepKind::ProveLock { .. } => {}
                }
                let (action, detail) = match &s.kind {
                    StepKind::WriteFile { path, before, .. } => (
                        if before.is_some() { "edit" } else { "create" },
                        self.rel(path),
                    ),
                    StepKind::CreateDir { path } => ("mkdir", self.rel(path)),
                    StepKind::RemoveDir { path } | StepKind::RemoveFile { path } => {
                        ("delete", self.rel(path))
                    }
                    StepKind::RemoveEmptyDir { path } => ("rmdir", self.rel(path)),
                    StepKind::Git { dir, args } => (
                        "git",
                        format!("git -C {} {}", self.rel(dir), shell_words_shown(args)),
                    ),
                    StepKind::GitInput { .. } => ("git", self.headline(s)),
                    StepKind::Uv { .. } => ("uv", self.headline(s)),
                    StepKind::Forge { call } => ("forge", call.describe(usize::MAX)),
                    StepKind::Engine {
                        dir,
                        engine,
                        args,
                        digest,
                    } => (
                        "engine",
                        self.engine_line(dir, engine, args, digest.as_ref()),
                    ),
                    StepKind::ProveLock { .. } => ("prove", self.headline(s)),
                    StepKind::Llm { .. } => ("llm", self.llm_line(&s.kind)),
                };
                StepJson {
                    package: s.package.clone(),
                    action,
                    detail,
                    argv,
                    dir,
                    path,
                    state: None,
                    note: None,
                }
            })
            .collect()
    }

    /// The human rendering of the plan: one line per step, file edits as unified diffs.
    pub fn render(&self) -> String {
        self.render_marked(&[])
    }

    /// Like [`Plan::render`]; steps whose index is in `done` are marked as done (a resumed run).
    pub fn render_marked(&self, done: &[usize]) -> String {
        let mut out = String::new();
        for (i, (step, json)) in self.steps.iter().zip(self.to_json()).enumerate() {
            let who = json.package.as_deref().unwrap_or("root");
            if done.contains(&i) {
                let _ = writeln!(out, "{who}: (done) {}", self.headline(step));
                continue;
            }
            // Commands read as themselves (`git -C . init`); file steps name their action.
            if let StepKind::Forge { call } = &step.kind {
                let _ = writeln!(
                    out,
                    "{who}: {} (authorization: token redacted)",
                    call.describe(200)
                );
            } else if matches!(
                step.kind,
                StepKind::Git { .. }
                    | StepKind::GitInput { .. }
                    | StepKind::Uv { .. }
                    | StepKind::Engine { .. }
                    | StepKind::ProveLock { .. }
            ) {
                let _ = writeln!(out, "{who}: {}", json.detail);
            } else {
                let _ = writeln!(out, "{who}: {} {}", json.action, json.detail);
            }
            // A release's fast-import: the tag message in full, as `git tag -m` shows it.
            if let (StepKind::GitInput { input, .. }, Guard::Import { tag, .. }) =
                (&step.kind, &step.guard)
                && let Some(stream) = self.planned_content(input)
                && let Some(message) = crate::git::fastcommit::tag_message(&stream)
            {
                let _ = writeln!(out, "    tag {tag} message:");
                for line in message.lines() {
                    if line.is_empty() {
                        out.push('\n');
                    } else {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
            if let StepKind::WriteFile {
                before,
                after,
                path,
            } = &step.kind
            {
                // A release's fast-import stream: the step that reads it says what it makes,
                // and the files it holds are the edits above.
                if path.parent().is_some_and(|p| p.ends_with(IMPORT_DIR)) {
                    continue;
                }
                let old = before.as_deref().unwrap_or("");
                let name = self.rel(path);
                let diff = similar::TextDiff::from_lines(old, after.as_str());
                let text = diff
                    .unified_diff()
                    .context_radius(2)
                    .header(if before.is_some() { &name } else { "/dev/null" }, &name)
                    .to_string();
                for line in text.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        out
    }

    /// One short line naming a step (messages cut to their first line), for progress output
    /// and error messages.
    pub fn headline(&self, step: &Step) -> String {
        let first_lines = |args: &[String]| -> Vec<String> {
            args.iter()
                .map(|a| match a.split_once('\n') {
                    Some((first, _)) => format!("{first}…"),
                    None => a.clone(),
                })
                .collect()
        };
        match &step.kind {
            StepKind::Llm { .. } => format!("llm {}", self.llm_line(&step.kind)),
            StepKind::WriteFile { path, before, .. } => format!(
                "{} {}",
                if before.is_some() { "edit" } else { "create" },
                self.rel(path)
            ),
            StepKind::CreateDir { path } => format!("mkdir {}", self.rel(path)),
            StepKind::RemoveDir { path } | StepKind::RemoveFile { path } => {
                format!("delete {}", self.rel(path))
            }
            StepKind::RemoveEmptyDir { path } => format!("rmdir {}", self.rel(path)),
            StepKind::Git { dir, args } => format!(
                "git -C {} {}",
                self.rel(dir),
                shell_words_shown(&first_lines(args))
            ),
            StepKind::GitInput { dir, args, input } => {
                let mut line = format!(
                    "git -C {} {} < {}",
                    self.rel(dir),
                    shell_words_shown(args),
                    self.rel(input)
                );
                if matches!(step.guard, Guard::Import { .. })
                    && let Some(what) = self
                        .planned_content(input)
                        .as_deref()
                        .and_then(crate::git::fastcommit::describe)
                {
                    let _ = write!(line, ": {what}");
                }
                line
            }
            StepKind::Uv {
                dir,
                args,
                redirects,
            } => {
                let mut line = format!("(cd {} && uv {})", self.rel(dir), shell_words_shown(args));
                if !redirects.is_empty() {
                    line.push_str(", the new tags fetched from the local repositories");
                }
                line
            }
            StepKind::Forge { call } => {
                let (method, path) = call.method_path();
                format!("{method} {path} ({})", call.summary())
            }
            StepKind::Engine {
                dir,
                engine,
                args,
                digest,
            } => self.engine_line(dir, engine, args, digest.as_ref()),
            StepKind::ProveLock {
                manifest,
                redirects,
                ..
            } => {
                let mut line = format!(
                    "prove {} resolves (uv lock in a temporary copy, before the first push)",
                    self.rel(manifest)
                );
                if !redirects.is_empty() {
                    line.push_str(", the new tags fetched from the local repositories");
                }
                line
            }
        }
    }

    /// Execute every step in order; stops at the first failure with the step named. uv's
    /// output is streamed to stderr. Run by the [`executor`] as a direct run (no journal, no
    /// probes, in the plan's order).
    pub fn execute(&self, uv: Option<&Uv>) -> Result<()> {
        self.run_plain(uv, false, None).map(drop)
    }

    /// [`Plan::execute`] with the model its [`StepKind::Llm`] steps call.
    pub fn execute_with_llm(&self, uv: Option<&Uv>, llm: &dyn Ask) -> Result<()> {
        self.run_plain(uv, false, Some(llm)).map(drop)
    }

    /// Like [`Plan::execute`], but uv's output is captured instead of streamed: returns the
    /// output of each uv step in order; a failed uv step's error carries uv's message.
    pub fn execute_captured(&self, uv: Option<&Uv>) -> Result<Vec<String>> {
        self.run_plain(uv, true, None)
    }

    fn run_plain(
        &self,
        uv: Option<&Uv>,
        capture: bool,
        llm: Option<&dyn Ask>,
    ) -> Result<Vec<String>> {
        let mut plan = self.clone();
        // One step after the other, in the plan's order.
        plan.grouped = false;
        let (_, mut report) = executor::execute(
            journal::Journal::new(String::new(), plan),
            &executor::Options {
                uv,
                jobs: 1,
                direct: true,
                capture_uv: capture,
                llm,
                ..executor::Options::default()
            },
        )?;
        if let Some((i, e)) = report.errors.pop() {
            let step = &self.steps[i];
            let who = step.package.as_deref().unwrap_or("root");
            // The headline reads as the command itself (`git -C dir push`), as in the journaled
            // run's report; `action detail` would double it (`git git -C ...`).
            return Err(e.context(format!("{who}: step `{}` failed", self.headline(step))));
        }
        Ok(report.uv_outputs)
    }
}

/// The hint of a refused symbolic link (docs/security.md, "Symbolic links").
const LINK_HINT: &str = "release-tool writes only regular files below the workspace root: replace the link with the file it points to (`cp --remove-destination \"$(readlink -f LINK)\" LINK`, for a directory copy it in place of the link), commit that, then run the same command again";

impl Plan {
    /// The paths a step changes, and whether each path itself (not only the directories on the
    /// way to it) must not be a link: a write, a new directory, uv's directory and its `uv.lock`
    /// follow it; a deletion removes the link itself.
    fn touched(kind: &StepKind) -> Vec<(PathBuf, bool)> {
        match kind {
            StepKind::WriteFile { path, .. } | StepKind::CreateDir { path } => {
                vec![(path.clone(), true)]
            }
            StepKind::RemoveDir { path }
            | StepKind::RemoveFile { path }
            | StepKind::RemoveEmptyDir { path } => vec![(path.clone(), false)],
            StepKind::Uv { dir, .. } => vec![(dir.clone(), true), (dir.join("uv.lock"), true)],
            StepKind::Llm { target, .. } => vec![(target.clone(), true)],
            _ => Vec::new(),
        }
    }

    /// One line per symbolic link a step would write through: the link, what it holds, and
    /// whether that leaves the workspace.
    fn link_problems(&self, step: &Step, out: &mut Vec<String>) {
        for (path, last) in Self::touched(&step.kind) {
            let Some(link) = crate::core::fsutil::link_below(&self.root, &path, last) else {
                continue;
            };
            let who = step.package.as_deref().unwrap_or("root");
            let place = if link.inside {
                "inside the workspace"
            } else {
                "outside the workspace"
            };
            let through = if link.path == path {
                String::new()
            } else {
                format!(" (on the way to {})", self.rel(&path))
            };
            let line = format!(
                "{who}: {} is a symbolic link to {}, {place}{through}",
                self.rel(&link.path),
                link.target.display()
            );
            if !out.contains(&line) {
                out.push(line);
            }
        }
    }

    /// Refuse, before any step runs, a plan whose pending steps (those not in `done`) would
    /// write through a symbolic link below the root (docs/security.md, "Symbolic links"): a
    /// link leaving the workspace would have the run change a file nobody reviewed, one inside
    /// would have it edit a file git does not stage under the planned name. Every link is named,
    /// with where it points. One `lstat` per path component, no process.
    pub fn refuse_links(&self, done: &[usize]) -> Result<()> {
        let done: std::collections::HashSet<usize> = done.iter().copied().collect();
        let mut problems: Vec<String> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            if done.contains(&i) {
                continue;
            }
            self.link_problems(step, &mut problems);
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(crate::core::error::UserError::failure(format!(
            "Refusing to write through symbolic links; nothing was changed:\n  {}",
            problems.join("\n  ")
        ))
        .with_hint(LINK_HINT)
        .into())
    }

    /// Run one file-system step (the executor's building block). A symbolic link on the way
    /// (made since the plan was checked) is refused here too, before anything is written.
    pub(crate) fn run_file_step(&self, kind: &StepKind) -> Result<()> {
        self.refuse_link_now(kind)?;
        self.run_checked_file_step(kind)
    }

    /// A symbolic link on the way to what `kind` changes, checked as the step starts.
    pub(crate) fn refuse_link_now(&self, kind: &StepKind) -> Result<()> {
        if let Some(link) = Self::touched(kind)
            .iter()
            .find_map(|(path, last)| crate::core::fsutil::link_below(&self.root, path, *last))
        {
            return Err(crate::core::error::UserError::failure(format!(
                "Refusing to write through the symbolic link {} (to {})",
                link.path.display(),
                link.target.display()
            ))
            .with_hint(LINK_HINT)
            .into());
        }
        Ok(())
    }

    fn run_checked_file_step(&self, kind: &StepKind) -> Result<()> {
        match kind {
            StepKind::WriteFile { path, after, .. } => {
                if let Some(parent) = path.parent() {
                    fs_err::create_dir_all(parent)?;
                }
                atomic_write(path, after.as_bytes()).map_err(Into::into)
            }
            StepKind::CreateDir { path } => fs_err::create_dir_all(path).map_err(Into::into),
            StepKind::RemoveDir { path } => self.remove_dir_inside_root(path),
            StepKind::RemoveFile { path } => self.remove_file_inside_root(path),
            StepKind::RemoveEmptyDir { path } => self.remove_empty_dir_inside_root(path),
            _ => anyhow::bail!("not a file step"),
        }
    }

    /// `path` made absolute, or an error when it is not strictly inside the root.
    fn inside_root(&self, path: &Path) -> Result<PathBuf> {
        let root = std::path::absolute(&self.root)?;
        let target = std::path::absolute(path)?;
        let inside = target.starts_with(&root)
            && target != root
            && target.strip_prefix(&root).is_ok_and(|rel| {
                rel.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
            });
        if !inside {
            anyhow::bail!(
                "Refusing to delete {}: it is not inside {}",
                target.display(),
                root.display()
            );
        }
        Ok(target)
    }

    /// Delete one file (or symlink), refusing directories and anything outside the root.
    fn remove_file_inside_root(&self, path: &Path) -> Result<()> {
        let target = self.inside_root(path)?;
        match fs_err::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() => {
                anyhow::bail!("Refusing to delete {}: it is a directory", target.display())
            }
            Ok(_) => fs_err::remove_file(&target)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Delete an empty directory; one that is not empty (or gone) is left as it is.
    fn remove_empty_dir_inside_root(&self, path: &Path) -> Result<()> {
        let target = self.inside_root(path)?;
        match std::fs::remove_dir(&target) {
            Ok(()) => Ok(()),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::DirectoryNotEmpty
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("Cannot remove directory {}", target.display()))),
        }
    }

    /// Delete `path` recursively, refusing anything that is not strictly inside the root.
    fn remove_dir_inside_root(&self, path: &Path) -> Result<()> {
        let target = self.inside_root(path)?;
        match fs_err::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() => fs_err::remove_dir_all(&target)?,
            Ok(_) => fs_err::remove_file(&target)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::Git;

    #[test]
    fn planned_content_is_the_last_write_also_after_appends_and_clones() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let mut plan = Plan::new(dir.path());
        assert_eq!(plan.planned_content(&a), None);
        plan.write(None, &a, "1");
        plan.write(None, &b, "x");
        plan.write(None, &a, "2");
        assert_eq!(plan.planned_content(&a).as_deref(), Some("2"));
        assert!(plan.writes(&b));
        // Steps appended from elsewhere (as `update` and `publish` do) are seen too.
        let mut other = Plan::new(dir.path());
        other.write(None, &a, "3");
        plan.steps.extend(other.steps);
        assert_eq!(plan.planned_content(&a).as_deref(), Some("3"));
        let copy = plan.clone();
        assert_eq!(copy.planned_content(&a).as_deref(), Some("3"));
        assert_eq!(copy.planned_content(&b).as_deref(), Some("x"));
        plan.steps.truncate(1);
        assert_eq!(plan.planned_content(&a).as_deref(), Some("1"));
        assert!(!plan.writes(&b));
    }

    #[test]
    fn json_and_render() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.toml"), "x = 1\ny = 2\n").unwrap();
        let mut plan = Plan::new(root);
        plan.write(Some("alpha"), root.join("a.toml"), "x = 1\ny = 3\n");
        plan.write(None, root.join("same.toml"), "new\n");
        plan.write(
            None,
            root.join("a.toml"),
            "x = 1\ny = 2\n".to_owned().replace('2', "3"),
        );
        plan.git(None, root, ["commit", "-m", "feat: it's here"]);
        let json = serde_json::to_value(plan.to_json()).unwrap();
        assert_eq!(json[0]["action"], "edit");
        assert_eq!(json[0]["package"], "alpha");
        assert_eq!(json[1]["action"], "create");
        // The second write of a.toml has the content already planned: nothing more to do.
        assert_eq!(json.as_array().unwrap().len(), 3);
        assert_eq!(
            json[2]["detail"],
            "git -C . commit -m 'feat: it'\\''s here'"
        );
        let text = plan.render();
        assert!(
            text.contains("alpha: edit a.toml\n    --- a.toml\n    +++ a.toml\n"),
            "{text}"
        );
        assert!(text.contains("    -y = 2\n    +y = 3\n"), "{text}");
        assert!(
            text.contains("root: create same.toml\n    --- /dev/null\n    +++ same.toml\n"),
            "{text}"
        );
    }

    #[test]
    fn unchanged_writes_and_existing_creates_are_not_planned() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "same").unwrap();
        let mut plan = Plan::new(dir.path());
        plan.write(None, dir.path().join("f"), "same");
        plan.create(None, dir.path().join("f"), "other");
        plan.mkdir(None, dir.path());
        assert!(plan.is_empty());
    }

    #[test]
    fn remove_dir_stays_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("pkg/sub")).unwrap();
        std::fs::write(root.join("pkg/sub/f"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        let mut plan = Plan::new(&root);
        plan.remove_dir(None, root.join("pkg"));
        assert_eq!(plan.to_json()[0].action, "delete");
        assert_eq!(plan.to_json()[0].detail, "pkg");
        plan.execute(None).unwrap();
        assert!(!root.join("pkg").exists());
        for bad in [root.join("../outside"), root.clone()] {
            let plan = Plan {
                root: root.clone(),
                steps: vec![Step {
                    package: None,
                    kind: StepKind::RemoveDir { path: bad },
                    guard: Guard::None,
                }],
                ..Plan::default()
            };
            assert!(plan.execute(None).is_err());
        }
        assert!(dir.path().join("outside").is_dir());
        assert!(root.is_dir());
    }

    #[test]
    fn remove_file_and_empty_dir() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("full")).unwrap();
        std::fs::write(root.join("a/b/f"), "x").unwrap();
        std::fs::write(root.join("full/keep"), "x").unwrap();
        std::fs::write(dir.path().join("outside"), "x").unwrap();
        let mut plan = Plan::new(&root);
        plan.remove_file(None, root.join("a/b/f"));
        plan.remove_file(None, root.join("missing"));
        plan.remove_empty_dir(None, root.join("a/b"));
        plan.remove_empty_dir(None, root.join("a"));
        plan.remove_empty_dir(None, root.join("full"));
        let json = plan.to_json();
        assert_eq!(json.len(), 4);
        assert_eq!(
            (json[0].action, json[0].detail.as_str()),
            ("delete", "a/b/f")
        );
        assert_eq!((json[1].action, json[1].detail.as_str()), ("rmdir", "a/b"));
        plan.execute(None).unwrap();
        assert!(!root.join("a").exists());
        assert!(root.join("full/keep").is_file());
        for bad in [root.join("../outside"), root.join("full")] {
            let plan = Plan {
                root: root.clone(),
                steps: vec![Step {
                    package: None,
                    kind: StepKind::RemoveFile { path: bad },
                    guard: Guard::None,
                }],
                ..Plan::default()
            };
            assert!(plan.execute(None).is_err());
        }
        assert!(dir.path().join("outside").is_file());
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_symbolic_links_below_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::write(dir.path().join("outside.md"), "keep").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.md"), root.join("pkg/CHANGELOG.md"))
            .unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("pkg/out")).unwrap();
        let mut plan = Plan::new(&root);
        plan.write(Some("pkg"), root.join("pkg/ok.txt"), "fine");
        plan.write(Some("pkg"), root.join("pkg/CHANGELOG.md"), "new");
        plan.write(None, root.join("pkg/out/x.txt"), "new");
        let err = plan.refuse_links(&[]).unwrap_err().to_string();
        assert!(
            err.contains("pkg: pkg/CHANGELOG.md is a symbolic link to")
                && err.contains("root: pkg/out is a symbolic link to")
                && err.contains("(on the way to pkg/out/x.txt)"),
            "{err}"
        );
        // Done steps are not checked again; the executor refuses before the first step.
        assert!(plan.refuse_links(&[1, 2]).is_ok());
        assert!(plan.execute(None).is_err());
        assert!(!root.join("pkg/ok.txt").exists());
        // Each step checks again when it runs (a link made after the plan was checked).
        let step = plan.steps[1].kind.clone();
        let err = plan.run_file_step(&step).unwrap_err().to_string();
        assert!(
            err.contains("Refusing to write through the symbolic link"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("outside.md")).unwrap(),
            "keep"
        );
        assert!(!dir.path().join("x.txt").exists());
        // Deleting a link removes the link, never what it points to.
        let mut plan = Plan::new(&root);
        plan.remove_file(None, root.join("pkg/CHANGELOG.md"));
        plan.execute(None).unwrap();
        assert!(dir.path().join("outside.md").is_file());
    }

    #[test]
    fn tag_messages_keep_markdown_headings() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = Git::new(root);
        git.init("main").unwrap();
        git.config_set("user.name", "T").unwrap();
        git.config_set("user.email", "t@example.com").unwrap();
        git.run(["commit", "-q", "--allow-empty", "-m", "one"])
            .unwrap();
        let message = "Release a 1.0.0\n\n### Added\n\n- x\n";
        let mut plan = Plan::new(root);
        plan.tag(None, root, "v1.0.0", "HEAD", message);
        plan.execute(None).unwrap();
        let kept = git
            .run(["tag", "--list", "--format=%(contents)", "v1.0.0"])
            .unwrap();
        assert_eq!(kept.trim_end(), message.trim_end());
    }

    #[test]
    fn execute_writes_files_and_creates_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = Plan::new(dir.path());
        plan.mkdir(None, dir.path().join("a/b"));
        plan.write(None, dir.path().join("a/b/c.txt"), "hi");
        plan.execute(None).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a/b/c.txt")).unwrap(),
            "hi"
        );
    }
}
