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
