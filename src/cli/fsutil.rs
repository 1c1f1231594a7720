//! File-system helpers of the rewrite mode: finding `.pyc` files in a tree and writing outputs atomically.

use pyrewrite::{Error, ErrorKind};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a directory walk found.
#[derive(Default)]
pub struct Walk {
    /// `.pyc` files, relative to the root, sorted.
    pub pyc: Vec<PathBuf>,
    /// Other files seen (ignored).
    pub ignored: usize,
    /// Directories that could not be read.
    pub errors: Vec<(PathBuf, Error)>,
}

/// Whether `p` names a `.pyc` file.
pub fn is_pyc(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "pyc")
}

/// Every `.pyc` under `root` (relative paths, sorted). Symbolic links to
/// directories are not followed (no cycles); `skip` (the output tree when
/// it lies inside the input) is left out.
pub fn walk(root: &Path, skip: Option<&Path>) -> Walk {
    let mut w = Walk::default();
    let mut dirs = vec![PathBuf::new()];
    while let Some(rel) = dirs.pop() {
        let dir = root.join(&rel);
        if skip.is_some_and(|s| fs::canonicalize(&dir).is_ok_and(|c| c == s)) {
            continue;
        }
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                w.errors.push((dir.clone(), Error::from(e).in_file(&dir)));
                continue;
            }
        };
        for entry in entries.flatten() {
            let rel = rel.join(entry.file_name());
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                dirs.push(rel);
            } else if is_pyc(&rel) && (ft.is_file() || root.join(&rel).is_file()) {
                w.pyc.push(rel);
            } else {
                w.ignored += 1;
            }
        }
    }
    w.pyc.sort();
    w
}

/// True when both paths exist and are the same file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `data` to `target` atomically: a temporary file in the target's
/// directory, then a rename over the target. Creates missing parent
/// directories. Copies `permissions_from`'s permissions when given. On
/// failure the temporary file is removed and `target` is untouched.
pub fn write_atomic(target: &Path, data: &[u8], permissions_from: Option<&Path>) -> Result<(), Error> {
    let io = |e: std::io::Error, p: &Path| Error::new(ErrorKind::Io(e.to_string())).in_file(p);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| io(e, &dir))?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.pyrewrite-{}-{n}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(data)?;
        if let Some(src) = permissions_from {
            f.set_permissions(fs::metadata(src)?.permissions())?;
        }
        // NB: no fsync: the rename makes the file appear whole to other
        // processes; surviving a power cut is not promised (5x slower).
        drop(f);
        fs::rename(&tmp, target)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(e, target)
    })
}
