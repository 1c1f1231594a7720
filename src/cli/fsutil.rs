//! File-system helpers of the rewrite mode: finding `.pyc` files in a tree and writing outputs atomically.

use crate::{Error, ErrorKind};
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
// NB: walkdir gives the sorted, error-reporting, symlink-safe walk that was
// hand-written here before.
pub fn walk(root: &Path, skip: Option<FileId>) -> Walk {
    let mut w = Walk::default();
    let entries = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        // NB: the skipped directory is recognised by its identity (one
        // lstat per directory), not by canonicalising every path.
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && skip.is_some_and(|s| e.metadata().is_ok_and(|m| FileId::of(&m) == s)))
        });
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let dir = e
                    .path()
                    .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
                let err = match e.into_io_error() {
                    Some(io) => Error::from(io),
                    None => Error::new(ErrorKind::Io("file system loop".into())),
                };
                w.errors.push((dir.clone(), err.in_file(&dir)));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_path_buf();
        if is_pyc(&rel) && (entry.file_type().is_file() || entry.path().is_file()) {
            w.pyc.push(rel);
        } else {
            w.ignored += 1;
        }
    }
    w.pyc.sort();
    w
}

/// Where `rel` (a `.pyc` path relative to IN) goes in a sourceless tree:
/// `pkg/__pycache__/mod.cpython-312.pyc` becomes `pkg/mod.pyc`; a legacy
/// `pkg/mod.pyc` stays where it is.
pub fn sourceless_rel(rel: &Path) -> PathBuf {
    let parent = rel.parent().unwrap_or(Path::new(""));
    if parent.file_name().is_some_and(|n| n == "__pycache__") {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // NB: the cache tag (`cpython-312`, `cpython-312.opt-1`) sits between
        // the module name and `.pyc`; module names have no dot.
        let module = name.split('.').next().unwrap_or(&name);
        parent
            .parent()
            .unwrap_or(Path::new(""))
            .join(format!("{module}.pyc"))
    } else {
        rel.to_path_buf()
    }
}

/// The dotted module name a `.pyc` at `rel` (relative to a `sys.path`
/// entry) is imported as: `pkg/__pycache__/mod.cpython-312.pyc` is
/// `pkg.mod`, `pkg/__init__.pyc` is `pkg`.
pub fn module_name(rel: &Path) -> String {
    let plain = sourceless_rel(rel).with_extension("");
    let mut parts: Vec<String> = plain
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.len() > 1 && parts.last().is_some_and(|p| p == "__init__") {
        parts.pop();
    }
    parts.join(".")
}

/// True when `out` is `DIR/__pycache__/mod.TAG.pyc` and `DIR/mod.py` does
/// not exist: Python never loads such a file.
pub fn orphan_cache_file(out: &Path) -> bool {
    let Some(cache) = out
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == "__pycache__"))
    else {
        return false;
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let module = name.split('.').next().unwrap_or(&name);
    !cache
        .parent()
        .unwrap_or(Path::new(""))
        .join(format!("{module}.py"))
        .exists()
}

/// What makes a file or directory itself, whatever path reaches it: the
/// device and inode on Unix (one `stat`, no path canonicalisation).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FileId(u64, u64);

impl FileId {
    #[cfg(unix)]
    pub fn of(m: &fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId(m.dev(), m.ino())
    }

    // NB: elsewhere std gives no identity; size and mtime stand in (same
    // file => same id; a rare false match only refuses a legitimate OUT).
    #[cfg(not(unix))]
    pub fn of(m: &fs::Metadata) -> FileId {
        let t = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        FileId(m.len(), t)
    }

    /// The identity of what `p` names (symbolic links followed), if it exists.
    pub fn of_path(p: &Path) -> Option<FileId> {
        fs::metadata(p).ok().map(|m| FileId::of(&m))
    }
}

/// True when both paths exist and are the same file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (FileId::of_path(a), FileId::of_path(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// An input file's bytes and the permissions its output gets.
pub struct Input {
    pub data: Vec<u8>,
    pub permissions: fs::Permissions,
}

/// Reads `path` with one open and one `fstat` (the size for the buffer and
/// the permissions for the output come from the same call).
pub fn read_input(path: &Path) -> Result<Input, Error> {
    use std::io::Read;
    let io = |e: std::io::Error| Error::from(e).in_file(path);
    let mut f = fs::File::open(path).map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    // NB: a plain read loop: `File::read_to_end` asks the size again
    // (fstat + lseek) although `meta` has it.
    let mut data = vec![0; meta.len() as usize + 1];
    let mut n = 0;
    loop {
        if n == data.len() {
            data.resize(2 * n, 0);
        }
        match f.read(&mut data[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    data.truncate(n);
    Ok(Input {
        data,
        permissions: meta.permissions(),
    })
}

/// Creates every directory in `dirs` once (a run calls this before writing
/// any file, so writes never probe or create directories). Returns the
/// directories that could not be created, with the reason.
pub fn create_dirs<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Vec<(PathBuf, std::io::Error)> {
    dirs.into_iter()
        .filter(|d| !d.as_os_str().is_empty())
        .filter_map(|d| fs::create_dir_all(d).err().map(|e| (d.to_path_buf(), e)))
        .collect()
}

/// The directory a file is in (`.` for a bare name).
pub fn parent_dir(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `data` to `target` atomically: a temporary file in the target's
/// directory, then a rename over the target, with `permissions` when given.
/// The directory must exist ([`create_dirs`]). On failure the temporary
/// file is removed and `target` is untouched. Syscalls: open, write,
/// fchmod, close, rename.
pub fn write_atomic(
    target: &Path,
    data: &[u8],
    permissions: Option<fs::Permissions>,
) -> Result<(), Error> {
    let io = |e: std::io::Error, p: &Path| Error::new(ErrorKind::Io(e.to_string())).in_file(p);
    let dir = parent_dir(target);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.pyrewrite-{}-{n}.tmp", pid()));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(data)?;
        if let Some(p) = permissions {
            f.set_permissions(p)?;
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

/// This process's id, asked once (temporary names carry it per file).
fn pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Removes the temporary files an earlier run killed mid-write left in
/// `dir` (`.NAME.pyrewrite-PID-N.tmp` of a process that no longer runs);
/// returns how many. Their names already keep them from being taken for
/// output (hidden, `.tmp`), but they would pile up.
// NB: whether PID runs is read from /proc; without it (not Linux) only
// files older than a day are taken as stale.
pub fn sweep_stale_temps(dir: &Path) -> usize {
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    let mut n = 0;
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = stale_temp_pid(&name.to_string_lossy()) else {
            continue;
        };
        let dead = if Path::new("/proc/self").exists() {
            !Path::new(&format!("/proc/{pid}")).exists()
        } else {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 86_400)
        };
        if dead && pid != std::process::id() && fs::remove_file(e.path()).is_ok() {
            n += 1;
        }
    }
    n
}

/// The PID in a temporary file name of [`write_atomic`], if it is one.
fn stale_temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tail) = rest.rsplit_once(".pyrewrite-")?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised() {
        assert_eq!(stale_temp_pid(".m.pyc.pyrewrite-42-7.tmp"), Some(42));
        assert_eq!(stale_temp_pid("m.pyc"), None);
        assert_eq!(stale_temp_pid(".m.pyc.pyrewrite-x-7.tmp"), None);
        assert_eq!(stale_temp_pid(".notes.tmp"), None);
    }

    #[test]
    fn layouts_and_module_names() {
        assert_eq!(
            sourceless_rel(Path::new("a/__pycache__/m.cpython-312.pyc")),
            Path::new("a/m.pyc")
        );
        assert_eq!(
            sourceless_rel(Path::new("__pycache__/m.cpython-38.opt-1.pyc")),
            Path::new("m.pyc")
        );
        assert_eq!(sourceless_rel(Path::new("a/m.pyc")), Path::new("a/m.pyc"));
        assert_eq!(
            module_name(Path::new("pkg/__pycache__/mod.cpython-313.pyc")),
            "pkg.mod"
        );
        assert_eq!(module_name(Path::new("pkg/sub/__init__.pyc")), "pkg.sub");
        assert_eq!(
            module_name(Path::new("__pycache__/hooks.cpython-38.pyc")),
            "hooks"
        );
    }
}
