//! Writing a file so that no reader ever sees half of it: the bytes go to a temporary file in the
//! same folder (so the rename stays on one file system, where it is atomic), then it is renamed
//! over the target. A run that fails or is killed leaves the old file, or none, never a torn one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary name a file is written under before it is renamed into place: in the same
/// folder (a rename across file systems is not atomic), hidden, and saying what it is. Every
/// output of syncsim uses it (reports, traces, JUnit, index.html, shard partials), so the
/// interrupt handler and the user know what a leftover is.
pub fn partial_name(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

/// Write `contents` to `path` atomically. The error names the file and the OS reason.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), String> {
    let temp = partial_name(path);
    let written = (|| {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(contents.as_ref())?;
        f.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_holds_the_new_bytes_and_no_temporary_file_is_left() {
        let dir = std::env::temp_dir().join(format!("syncsim-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        std::fs::write(&path, "old").unwrap();
        write(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_file() {
        let path = std::env::temp_dir().join("syncsim-no-such-folder-xyz").join("out.txt");
        let err = write(&path, "x").unwrap_err();
        assert!(err.starts_with(&format!("cannot write {}: ", path.display())), "{err}");
    }
}
