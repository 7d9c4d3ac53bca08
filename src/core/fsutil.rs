//! Small filesystem helpers.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Atomically replace the contents of `path` with `contents`.
///
/// The data is written to a temporary file in the same directory, flushed to
/// disk, given the permissions of the existing file (if there is one), and then
/// renamed over the target, so readers only ever see the old or the new
/// contents. Missing parent directories are created. If `path` is a symlink, the
/// file it points to is replaced and the link is kept.
///
/// A newly created file gets the usual default permissions (`0o666` minus the
/// umask on Unix) rather than the private `0o600` of temporary files.
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
    let prefix = format!(".{file_name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(&dir)
        .map_err(|err| with_path(err, "failed to create a temporary file in", &dir))?;

    let write_err = |err| with_path(err, "failed to write", &target);
    tmp.write_all(contents).map_err(write_err)?;
    tmp.flush().map_err(write_err)?;
    if let Some(permissions) = existing {
        tmp.as_file()
            .set_permissions(permissions)
            .map_err(|err| with_path(err, "failed to set permissions for", &target))?;
    }
    tmp.as_file().sync_all().map_err(write_err)?;
    tmp.persist(&target)
        .map_err(|err| with_path(err.error, "failed to replace", &target))?;

    // Make the rename itself durable; not all platforms/filesystems support
    // syncing a directory, so this is best effort.
    #[cfg(unix)]
    if let Ok(dir_handle) = std::fs::File::open(&dir) {
        let _ = dir_handle.sync_all();
    }
    Ok(())
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
}
