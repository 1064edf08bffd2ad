//! `--out-dir`: write a set of files into one directory, all or nothing, never outside it.
//!
//! Each file name must be one plain path component (no `/`, `..` or absolute path), so a value
//! from the config cannot move a file out of the directory. Every file goes to a new temporary
//! name first (created exclusively: an existing file or symlink there is never written through),
//! then each is renamed over its target (the target is replaced in one step, never missing); a
//! target that is a directory is refused before any rename, and a failed rename puts back what
//! the earlier renames replaced.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// `name` as a file name inside a directory, or an error saying why it cannot be one.
pub fn check_file_name(name: &str) -> Result<()> {
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(n)), None) if n == name && !name.contains('\\') => Ok(()),
        _ => bail!(
            "{} is not a plain file name (a path separator, \"..\" or an absolute path would write outside --out-dir)",
            scpctl_core::origin::excerpt(name)
        ),
    }
}

/// Write `files` (file name, content) into `dir`, creating it if needed: either every file is
/// written, or none is changed. Returns the paths written, in order.
pub fn write_all_or_nothing(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>> {
    for (name, _) in files {
        check_file_name(name).context("refused before writing anything")?;
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    let targets: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
    for target in &targets {
        if let Ok(meta) = std::fs::symlink_metadata(target) {
            if meta.is_dir() {
                bail!(
                    "cannot write {}: it is a directory (nothing written)",
                    target.display()
                );
            }
        }
    }
    let pid = std::process::id();
    let mut temps: Vec<PathBuf> = Vec::new();
    let written = (|| -> Result<()> {
        for (name, content) in files {
            let tmp = dir.join(format!(".{name}.tmp-{pid}"));
            // A temporary file of a crashed run with the same process id: ours to remove.
            let _ = std::fs::remove_file(&tmp);
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            temps.push(tmp.clone());
            f.write_all(content)
                .and_then(|()| f.sync_all())
                .with_context(|| format!("cannot write {}", tmp.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        remove_all(&temps);
        return Err(e);
    }
    // Keep what each target held, so a failed rename can be undone: a second name (hard link) for
    // the old file, so that the rename of the new file over the target replaces it in one step and
    // the target never goes missing. Where hard links are refused, the old file is moved aside.
    let mut backups: Vec<Option<PathBuf>> = Vec::new();
    let mut done = 0;
    let renamed = (|| -> Result<()> {
        for (i, (target, tmp)) in targets.iter().zip(&temps).enumerate() {
            let backup = if std::fs::symlink_metadata(target).is_ok() {
                let b = dir.join(format!(".{}.bak-{pid}", files[i].0));
                let _ = std::fs::remove_file(&b);
                if std::fs::hard_link(target, &b).is_err() {
                    std::fs::rename(target, &b)
                        .with_context(|| format!("cannot replace {}", target.display()))?;
                }
                Some(b)
            } else {
                None
            };
            backups.push(backup);
            std::fs::rename(tmp, target)
                .with_context(|| format!("cannot write {}", target.display()))?;
            done += 1;
        }
        Ok(())
    })();
    match renamed {
        Ok(()) => {
            for b in backups.iter().flatten() {
                let _ = std::fs::remove_file(b);
            }
            sync_dir(dir);
            Ok(targets)
        }
        Err(e) => {
            // Undo in reverse: each backup goes back over its target in one rename; a target
            // that did not exist before is removed.
            for (i, backup) in backups.iter().enumerate().rev() {
                match backup {
                    Some(b) => {
                        let _ = std::fs::rename(b, &targets[i]);
                    }
                    None if i < done => {
                        let _ = std::fs::remove_file(&targets[i]);
                    }
                    None => {}
                }
            }
            remove_all(&temps);
            Err(e)
        }
    }
}

/// Make the renames in `dir` durable (best effort: not every file system can sync a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Replace one file atomically: the content goes to a new temporary file in the same
/// directory (created exclusively), is synced, then renamed over `path`, so a crash leaves
/// either the old file or the new one, never a part. The directory is created if needed.
pub fn replace_file(path: &Path, content: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} names no file", path.display()))?;
    write_all_or_nothing(dir, &[(name.to_string(), content.to_vec())]).map(|_| ())
}

fn remove_all(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_directory_are_refused() {
        for bad in [
            "../victim.tf",
            "/tmp/x.json",
            "a/b.json",
            "..",
            ".",
            "",
            "a\\b.json",
        ] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        for good in [
            "RestrictIAMUserAccessWithExceptions.json",
            "...json",
            "a b.tf",
        ] {
            check_file_name(good).unwrap();
        }
    }

    #[test]
    fn a_directory_in_the_way_leaves_every_file_as_it_was() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("one.json"), "old").unwrap();
        std::fs::create_dir(dir.path().join("two.json")).unwrap();
        let files = vec![
            ("one.json".to_string(), b"new".to_vec()),
            ("two.json".to_string(), b"new".to_vec()),
        ];
        assert!(write_all_or_nothing(dir.path(), &files).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("one.json")).unwrap(),
            "old"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temporary file left behind");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_target_is_replaced_never_written_through() {
        let dir = tempfile::TempDir::new().unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "keep").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&outside, out.join("p.json")).unwrap();
        write_all_or_nothing(&out, &[("p.json".to_string(), b"new".to_vec())]).unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(out.join("p.json")).unwrap(), "new");
        assert!(!std::fs::symlink_metadata(out.join("p.json"))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn files_are_replaced_and_a_stale_temporary_is_not_in_the_way() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("one.json"), "old1").unwrap();
        std::fs::write(dir.path().join("three.json"), "old3").unwrap();
        std::fs::create_dir(dir.path().join("two.json")).unwrap();
        // A stale temporary file of a crashed run with this process id is not in the way.
        let pid = std::process::id();
        std::fs::write(dir.path().join(format!(".one.json.tmp-{pid}")), "stale").unwrap();
        write_all_or_nothing(
            dir.path(),
            &[
                ("one.json".to_string(), b"new1".to_vec()),
                ("three.json".to_string(), b"new3".to_vec()),
            ],
        )
        .unwrap();
        let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
        assert_eq!(
            (read("one.json"), read("three.json")),
            ("new1".into(), "new3".into())
        );
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["one.json", "three.json", "two.json"]);
        replace_file(&dir.path().join("one.json"), b"again").unwrap();
        assert_eq!(read("one.json"), "again");
    }
}
