//! Small filesystem helpers.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Atomically replace the contents of `path` with `contents`.
///
/// The data is written to a temporary file, flushed to disk, given the permissions of the
/// existing file (if there is one), and then renamed over the target, so readers only ever see
/// the old or the new contents. Missing parent directories are created. If `path` is a symlink,
/// the file it points to is replaced and the link is kept.
///
/// The temporary file goes where git never sees it, so that a process killed between writing
/// it and renaming it leaves no stray file in a work tree: into the state directory
/// `.release_tool/` of the nearest directory above the target that has one ([`temp_dir_for`];
/// its `.gitignore` ignores everything in it), named after this process
/// (`.tmp.<pid>.<name>.XXXXXX.tmp`, so that [`remove_stale_temp_files`] can tell a dead run's
/// leftover from a live one's). Where there is none, or the rename from there fails (it would
/// cross filesystems, or the target's directory refuses it), the write is made next to the
/// target (`.<name>.XXXXXX.tmp`), as before.
///
/// A newly created file gets the usual default permissions (`0o666` minus the umask on Unix)
/// rather than the private `0o600` of temporary files.
///
/// # Errors
///
/// Any I/O error, with a message that names the path involved.
pub fn atomic_write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let target = resolve_symlink(path)?;
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs_err::create_dir_all(&dir)?;

    let existing = match std::fs::metadata(&target) {
        Ok(meta) => Some(meta.permissions()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(with_path(err, "failed to read metadata of", &target)),
    };

    let file_name = target
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy().into_owned());
    if let Some(tmp_dir) = temp_dir_for(&dir) {
        let prefix = format!("{TEMP_PREFIX}{}.{file_name}.", std::process::id());
        if let Ok(tmp) = write_temp(&tmp_dir, &prefix, &target, contents, existing.as_ref()) {
            test_hook::before_rename(&target);
            // Another filesystem (a package on a mount of its own), or the rename refused: the
            // temporary file is removed, and the write is made next to the target instead (whose
            // error, if it fails too, is the one reported).
            if tmp.persist(&target).is_ok() {
                sync_dir(&dir);
                return Ok(());
            }
        }
    }
    let tmp = write_temp(
        &dir,
        &format!(".{file_name}."),
        &target,
        contents,
        existing.as_ref(),
    )?;
    test_hook::before_rename(&target);
    tmp.persist(&target)
        .map_err(|err| with_path(err.error, "failed to replace", &target))?;
    sync_dir(&dir);
    Ok(())
}

/// `contents` in a new temporary file `<prefix>XXXXXX.tmp` in `dir`, flushed to disk, with
/// `permissions` when given.
fn write_temp(
    dir: &Path,
    prefix: &str,
    target: &Path,
    contents: &[u8],
    permissions: Option<&std::fs::Permissions>,
) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|err| with_path(err, "failed to create a temporary file in", dir))?;
    let write_err = |err| with_path(err, "failed to write", target);
    tmp.write_all(contents).map_err(write_err)?;
    tmp.flush().map_err(write_err)?;
    if let Some(permissions) = permissions {
        tmp.as_file()
            .set_permissions(permissions.clone())
            .map_err(|err| with_path(err, "failed to set permissions for", target))?;
    }
    tmp.as_file().sync_all().map_err(write_err)?;
    Ok(tmp)
}

/// Make a rename in `dir` durable; not all platforms/filesystems support syncing a directory,
/// so this is best effort.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir_handle) = std::fs::File::open(dir) {
        let _ = dir_handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// How the temporary files of [`atomic_write`] in the state directory begin (then the pid).
const TEMP_PREFIX: &str = ".tmp.";

/// Where the temporary file of a write into `dir` goes: the state directory `.release_tool` of
/// `dir` or of the nearest directory above it where it exists with its `.gitignore` (so git, of
/// the root and of any package under it, never sees the file). `None` outside a workspace.
fn temp_dir_for(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|a| a.join(STATE_DIR))
        .find(|state| state.join(".gitignore").is_file())
}

/// Remove the temporary files that runs which are gone left in the state directory of `root`
/// (killed between writing a temporary file and renaming it): `.tmp.<pid>.*.tmp` of a process
/// that no longer runs, and the `.<name>.XXXXXX.tmp` files older releases wrote there (once
/// older than a minute). Best effort; returns how many were removed.
pub fn remove_stale_temp_files(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root.join(STATE_DIR)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') || !is_tmp(&name) || !entry.file_type().is_ok_and(|t| t.is_file())
        {
            continue;
        }
        let pid = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|rest| rest.split('.').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let stale = match pid {
            Some(pid) => !process_runs(pid) || older_than(&entry, 24 * 3600),
            None => older_than(&entry, 60),
        };
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a file name is a temporary file's (`*.tmp`).
fn is_tmp(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|e| e == "tmp")
}

/// Whether `entry` was last modified more than `secs` seconds ago.
fn older_than(entry: &std::fs::DirEntry, secs: u64) -> bool {
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > secs)
}

/// Whether a process with this pid runs (where `/proc` tells; elsewhere assume it does).
fn process_runs(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Test-only (debug builds): `RELEASE_TOOL_TEST_KILL_IN_WRITE=<file name>` kills the process
/// (`SIGKILL`) in the first atomic write of a file of that name, after its temporary file is
/// written and before it is renamed over the target: the window a kill leaves a temporary file
/// in. Read once.
mod test_hook {
    use std::path::Path;

    #[cfg(debug_assertions)]
    pub(super) fn before_rename(target: &Path) {
        use std::sync::OnceLock;
        static NAME: OnceLock<Option<String>> = OnceLock::new();
        let name = NAME.get_or_init(|| {
            std::env::var("RELEASE_TOOL_TEST_KILL_IN_WRITE")
                .ok()
                .filter(|v| !v.is_empty())
        });
        if name
            .as_deref()
            .is_some_and(|name| target.file_name().is_some_and(|f| f == name))
        {
            eprintln!(
                "release-tool: RELEASE_TOOL_TEST_KILL_IN_WRITE: killing the process before {} is renamed into place",
                target.display()
            );
            #[cfg(unix)]
            let _ = rustix::process::kill_process(
                rustix::process::getpid(),
                rustix::process::Signal::KILL,
            );
            std::process::abort();
        }
    }

    #[cfg(not(debug_assertions))]
    pub(super) fn before_rename(_target: &Path) {}
}

/// Follow `path` if it is a symlink, so that the link itself survives the write.
fn resolve_symlink(path: &Path) -> io::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::canonicalize(path) {
            Ok(resolved) => Ok(resolved),
            // A dangling link: write through to where it points.
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let link = fs_err::read_link(path)?;
                Ok(match path.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                })
            }
            Err(err) => Err(with_path(err, "failed to resolve", path)),
        },
        _ => Ok(path.to_path_buf()),
    }
}

/// A symbolic link on the way to a file: the link (absolute) and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub path: PathBuf,
    pub target: PathBuf,
    /// Whether what it points to (resolved) is still under the root it was found below.
    pub inside: bool,
}

/// The first symbolic link on the way from `root` (not included: the root may well be reached
/// through links) down to `path`, `path` itself included when `last` (a write follows it) and
/// left out otherwise (a deletion removes the link, not what it points to). Stops at the first
/// component that does not exist: nothing below it can be a link. A `path` that is not under
/// `root` is checked only for itself. One `lstat` per component, no process.
pub fn link_below(root: &Path, path: &Path, last: bool) -> Option<Link> {
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let (base, rel) = match path.strip_prefix(&root) {
        Ok(rel) => (root.clone(), rel.to_path_buf()),
        Err(_) => match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => (parent.to_path_buf(), PathBuf::from(name)),
            _ => return None,
        },
    };
    let count = rel.components().count();
    let mut cur = base;
    for (i, component) in rel.components().enumerate() {
        cur.push(component);
        if i + 1 == count && !last {
            break;
        }
        match std::fs::symlink_metadata(&cur) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&cur).unwrap_or_default();
                // A dangling link: where it would lead, from its real directory.
                let resolved = std::fs::canonicalize(&cur).unwrap_or_else(|_| {
                    let dir = cur
                        .parent()
                        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
                    let mut out = PathBuf::new();
                    for c in dir.unwrap_or_default().join(&target).components() {
                        match c {
                            std::path::Component::ParentDir => {
                                out.pop();
                            }
                            std::path::Component::CurDir => {}
                            c => out.push(c),
                        }
                    }
                    out
                });
                let real_root = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
                let inside = resolved.starts_with(&real_root)
                    && resolved.strip_prefix(&real_root).is_ok_and(|r| {
                        r.components()
                            .all(|c| matches!(c, std::path::Component::Normal(_)))
                    });
                return Some(Link {
                    path: cur,
                    target,
                    inside,
                });
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    None
}

#[allow(clippy::needless_pass_by_value)] // used directly in `map_err`
fn with_path(err: io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{action} {}: {err}", path.display()))
}

/// The directory of the tool's own state under the root.
pub const STATE_DIR: &str = ".release_tool";
/// The `.gitignore` that keeps the state directory out of git.
const STATE_IGNORE: &[u8] =
    b"# release-tool's own state (the journal of the last run, the lock, caches)\n*\n";

/// `path` relative to `root`, for output: `/`-separated, empty for `root` itself, and `path` as
/// it is when it is not under `root`.
pub fn rel(root: &Path, path: &Path) -> String {
    let shown = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
    if cfg!(windows) {
        shown.replace('\\', "/")
    } else {
        shown.into_owned()
    }
}

/// The state directory under `root`, created with its `.gitignore` (so nothing in it is ever
/// committed) when missing.
pub fn state_dir(root: &Path) -> io::Result<PathBuf> {
    let dir = root.join(STATE_DIR);
    // The journal, the lock and the caches are never written through a link (a committed
    // `.release_tool -> /somewhere` would have them land outside the workspace).
    if let Some(link) = link_below(root, &dir, true) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link (to {}): release-tool keeps its state only in a real directory; remove the link",
                link.path.display(),
                link.target.display()
            ),
        ));
    }
    fs_err::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        atomic_write(&ignore, STATE_IGNORE)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_new_file_and_creates_parents() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b/pyproject.toml");
        atomic_write(&path, b"hello\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");
        assert_eq!(dir_entries(path.parent().unwrap()), ["pyproject.toml"]);
    }

    #[test]
    fn replaces_existing_file_without_leftovers() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("pyproject.toml");
        std::fs::write(&path, "old contents that are longer\n").unwrap();
        atomic_write(&path, b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(dir_entries(tmp.path()), ["pyproject.toml"]);
    }

    #[cfg(unix)]
    #[test]
    fn preserves_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("run.sh");
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o751)).unwrap();
        atomic_write(&path, b"#!/bin/sh\necho hi\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o751);
        assert_eq!(dir_entries(tmp.path()), ["run.sh"]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_not_private_temp_files() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("new.toml");
        atomic_write(&path, b"x = 1\n").unwrap();
        let reference = tmp.path().join("reference");
        std::fs::write(&reference, "").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        let expected = std::fs::metadata(&reference).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, expected, "same mode as a file created normally");
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real.toml");
        let link = tmp.path().join("link.toml");
        std::fs::write(&real, "a\n").unwrap();
        std::os::unix::fs::symlink("real.toml", &link).unwrap();
        atomic_write(&link, b"b\n").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "b\n");
    }

    #[cfg(unix)]
    #[test]
    fn links_below_the_root_are_found_and_the_root_itself_is_not_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let outer = tmp.path().join("outer");
        std::fs::create_dir_all(outer.join("ws/pkg")).unwrap();
        std::fs::create_dir_all(tmp.path().join("elsewhere")).unwrap();
        // The root reached through a link: fine.
        std::os::unix::fs::symlink(outer.join("ws"), tmp.path().join("via")).unwrap();
        let root = tmp.path().join("via");
        std::fs::write(root.join("pkg/real.toml"), "x").unwrap();
        assert_eq!(link_below(&root, &root.join("pkg/real.toml"), true), None);
        assert_eq!(
            link_below(&root, &root.join("pkg/new/deep.toml"), true),
            None
        );
        std::os::unix::fs::symlink("real.toml", root.join("pkg/link.toml")).unwrap();
        let found = link_below(&root, &root.join("pkg/link.toml"), true).unwrap();
        assert_eq!(found.path, root.join("pkg/link.toml"));
        assert_eq!(found.target, PathBuf::from("real.toml"));
        assert!(found.inside);
        // A deletion removes the link itself.
        assert_eq!(link_below(&root, &root.join("pkg/link.toml"), false), None);
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), root.join("pkg/out")).unwrap();
        let found = link_below(&root, &root.join("pkg/out/f.md"), false).unwrap();
        assert_eq!(found.path, root.join("pkg/out"));
        assert!(!found.inside);
        // Dangling, pointing outside.
        std::os::unix::fs::symlink("../../../gone.md", root.join("pkg/dangling.md")).unwrap();
        let found = link_below(&root, &root.join("pkg/dangling.md"), true).unwrap();
        assert!(!found.inside);
        std::os::unix::fs::symlink("./sub/../missing.md", root.join("pkg/later.md")).unwrap();
        assert!(
            link_below(&root, &root.join("pkg/later.md"), true)
                .unwrap()
                .inside
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_state_directory_is_never_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(tmp.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), root.join(STATE_DIR)).unwrap();
        let err = state_dir(&root).unwrap_err().to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert!(!tmp.path().join("elsewhere/.gitignore").exists());
    }

    #[test]
    fn errors_name_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        // A parent "directory" that is actually a file cannot be created.
        let path = blocker.join("pyproject.toml");
        let err = atomic_write(&path, b"x").unwrap_err();
        assert!(
            err.to_string().contains(&blocker.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn temporary_files_go_to_the_state_directory_and_stale_ones_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        state_dir(root).unwrap();
        let target = root.join("packages/a/pyproject.toml");
        let state = root.join(STATE_DIR);
        assert_eq!(temp_dir_for(target.parent().unwrap()), Some(state.clone()));
        atomic_write(&target, b"x\n").unwrap();
        assert_eq!(dir_entries(target.parent().unwrap()), ["pyproject.toml"]);
        assert_eq!(dir_entries(&state), [".gitignore"]);
        // Leftovers: one of a process that is gone, one of this (live) process, and one of an
        // older release-tool, just written.
        std::fs::write(state.join(".tmp.4294967.pyproject.toml.abc123.tmp"), "").unwrap();
        let live = format!(".tmp.{}.journal.json.abc123.tmp", std::process::id());
        std::fs::write(state.join(&live), "").unwrap();
        std::fs::write(state.join(".journal.json.abc123.tmp"), "").unwrap();
        assert_eq!(remove_stale_temp_files(root), 1);
        assert_eq!(
            dir_entries(&state),
            [".gitignore", ".journal.json.abc123.tmp", live.as_str()]
        );
        // Outside a workspace: next to the target, as before.
        let other = tempfile::tempdir().unwrap();
        assert_eq!(temp_dir_for(other.path()), None);
    }
}
