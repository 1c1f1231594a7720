//! Discovery of real CPython interpreters (native or pyodide under Node.js), the test oracle.
//!
//! For each minor version 3.6..=3.14 the first candidate that answers with
//! the right `sys.version_info` wins, tried in this order:
//!
//! 1. env `PYREWRITE_PYTHONS`, e.g. `3.8=/usr/bin/python3.8,3.14=pyodide`
//!    (`pyodide` or `pyodide:<npm alias>` selects a pyodide package);
//! 2. `python3.X` on `PATH`;
//! 3. pyenv: `$PYENV_ROOT/versions/3.X.*` (default `~/.pyenv`), newest first;
//! 4. for 3.14 and later: pyodide, when `node` runs and
//!    `<repo>/node_modules/py3XX` is installed (`npm ci` in the repo).
//!
//! The repository root is env `PYREWRITE_ROOT`, else this crate's manifest
//! directory at compile time. Nothing is cached on disk; [`find_all`] keeps
//! its answer in memory for the life of the process.

use crate::version::PyVersion;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Minor versions of CPython 3 that [`find_all`] looks for.
pub const MINORS: std::ops::RangeInclusive<u8> = 6..=14;

/// How an interpreter is started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterpreterKind {
    /// A native executable, run as `EXE SCRIPT ARGS...`.
    Native(PathBuf),
    /// Pyodide under Node.js, run as `node tools/pyodide/run.mjs SCRIPT ARGS...`.
    Pyodide {
        /// The `node` executable.
        node: PathBuf,
        /// `tools/pyodide/run.mjs` in the repository.
        runner: PathBuf,
        /// The npm alias directory under `node_modules` (`py314`).
        alias: String,
    },
}

/// A real CPython interpreter whose version has been checked by asking it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpreter {
    /// Its `major.minor`.
    pub version: PyVersion,
    /// Its full version as it reports it (`3.12.1`), when it answered.
    pub micro: Option<String>,
    /// How to start it.
    pub kind: InterpreterKind,
}

impl Interpreter {
    /// A `Command` that starts the interpreter on a script: append the script
    /// path and its arguments. For pyodide, host paths work unchanged.
    ///
    /// `PYTHONHASHSEED` is 0 unless the caller's environment sets it: the
    /// order of marshalled frozensets of strings (and of printed sets)
    /// depends on it, and oracle runs must be reproducible.
    pub fn command(&self) -> Command {
        let mut c = self.base_command();
        if std::env::var_os("PYTHONHASHSEED").is_none() {
            c.env("PYTHONHASHSEED", "0");
        }
        c
    }

    fn base_command(&self) -> Command {
        match &self.kind {
            InterpreterKind::Native(exe) => {
                let mut c = Command::new(exe);
                // NB: keep user site-packages and PYTHON* settings of the caller out of the oracle
                c.env_remove("PYTHONPATH")
                    .env_remove("PYTHONHOME")
                    .arg("-s");
                c
            }
            InterpreterKind::Pyodide {
                node,
                runner,
                alias,
            } => {
                let mut c = Command::new(node);
                c.arg(runner).env("PYREWRITE_PYODIDE", alias);
                c
            }
        }
    }

    /// Runs `python SCRIPT ARGS...` to completion, capturing stdout and stderr
    /// (stdin is empty).
    pub fn run_script(&self, script: &Path, args: &[impl AsRef<OsStr>]) -> std::io::Result<Output> {
        let mut c = self.command();
        c.arg(script);
        for a in args {
            c.arg(a.as_ref());
        }
        c.stdin(Stdio::null()).output()
    }

    /// Runs `python -c CODE ARGS...`, capturing the output.
    pub fn run_code(&self, code: &str, args: &[impl AsRef<OsStr>]) -> std::io::Result<Output> {
        let mut c = self.command();
        c.arg("-c").arg(code);
        for a in args {
            c.arg(a.as_ref());
        }
        c.stdin(Stdio::null()).output()
    }

    /// One line for logs: `3.12.1 (/root/.pyenv/versions/3.12.1/bin/python3.12)`.
    pub fn describe(&self) -> String {
        let v = self
            .micro
            .clone()
            .unwrap_or_else(|| self.version.to_string());
        match &self.kind {
            InterpreterKind::Native(exe) => format!("{v} ({})", exe.display()),
            InterpreterKind::Pyodide { alias, .. } => {
                format!("{v} (pyodide node_modules/{alias} via node)")
            }
        }
    }

    /// True when it runs through pyodide (slow start-up: batch many files per run).
    pub fn is_pyodide(&self) -> bool {
        matches!(self.kind, InterpreterKind::Pyodide { .. })
    }
}

/// The repository root: env `PYREWRITE_ROOT`, else the crate's manifest dir.
pub fn repo_root() -> PathBuf {
    match std::env::var_os("PYREWRITE_ROOT") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    }
}

/// Every interpreter found, at most one per minor version in [`MINORS`]
/// (plus any other version named in `PYREWRITE_PYTHONS`), oldest first.
pub fn find_all() -> Vec<Interpreter> {
    static ALL: OnceLock<Vec<Interpreter>> = OnceLock::new();
    ALL.get_or_init(discover).clone()
}

/// The interpreter for version `v`, if one was found.
pub fn find(v: PyVersion) -> Option<Interpreter> {
    find_all().into_iter().find(|i| i.version == v)
}

fn discover() -> Vec<Interpreter> {
    let from_env = env_candidates();
    let mut versions: Vec<PyVersion> = MINORS.map(|m| PyVersion::new(3, m)).collect();
    for (v, _) in &from_env {
        if !versions.contains(v) {
            versions.push(*v);
        }
    }
    versions.sort();
    // NB: asking each interpreter its version takes 50 ms natively and seconds
    // under pyodide, so versions are probed in parallel.
    let found: Vec<Option<Interpreter>> = std::thread::scope(|s| {
        let handles: Vec<_> = versions
            .iter()
            .map(|&v| {
                let env_kinds: Vec<InterpreterKind> = from_env
                    .iter()
                    .filter(|(ev, _)| *ev == v)
                    .map(|(_, k)| k.clone())
                    .collect();
                s.spawn(move || first_working(v, env_kinds))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    found.into_iter().flatten().collect()
}

/// Tries the candidates of one version lazily, in priority order.
fn first_working(v: PyVersion, env_kinds: Vec<InterpreterKind>) -> Option<Interpreter> {
    for kind in env_kinds {
        if let Some(i) = verify(v, kind) {
            return Some(i);
        }
    }
    if let Some(exe) = on_path(&format!("python{v}")) {
        if let Some(i) = verify(v, InterpreterKind::Native(exe)) {
            return Some(i);
        }
    }
    for exe in pyenv_candidates(v) {
        if let Some(i) = verify(v, InterpreterKind::Native(exe)) {
            return Some(i);
        }
    }
    // NB: pyodide's CPython is 3.14 on; older versions come from native interpreters.
    if v.at_least(14) {
        if let Some(kind) = pyodide_kind(&pyodide_alias(v)) {
            return verify(v, kind);
        }
    }
    None
}

/// Asks the interpreter its version; `Some` only if it is `v`.
fn verify(v: PyVersion, kind: InterpreterKind) -> Option<Interpreter> {
    let probe = Interpreter {
        version: v,
        micro: None,
        kind,
    };
    let out = probe
        .run_code(
            "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])",
            &[] as &[&str],
        )
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines().rev();
    let full = lines.next()?.trim().to_string();
    if PyVersion::parse(&full)? != v {
        return None;
    }
    let mut kind = probe.kind;
    // NB: a pyenv shim re-resolves the version on every start; use the real binary
    if let (InterpreterKind::Native(_), Some(exe)) = (&kind, lines.next()) {
        let exe = PathBuf::from(exe.trim());
        if exe.is_absolute() && is_executable(&exe) {
            kind = InterpreterKind::Native(exe);
        }
    }
    Some(Interpreter {
        micro: Some(full),
        version: v,
        kind,
    })
}

/// Parses `PYREWRITE_PYTHONS`: `3.8=/path/python3.8,3.14=pyodide[:alias]`.
fn env_candidates() -> Vec<(PyVersion, InterpreterKind)> {
    let Ok(spec) = std::env::var("PYREWRITE_PYTHONS") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((ver, what)) = item.split_once('=') else {
            continue;
        };
        let Some(v) = PyVersion::parse(ver) else {
            continue;
        };
        let what = what.trim();
        let kind = if what == "pyodide" {
            pyodide_kind(&pyodide_alias(v))
        } else if let Some(alias) = what.strip_prefix("pyodide:") {
            pyodide_kind(alias)
        } else {
            Some(InterpreterKind::Native(PathBuf::from(what)))
        };
        if let Some(k) = kind {
            out.push((v, k));
        }
    }
    out
}

/// First executable file called `name` in the directories of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// pyenv installs of `3.X.*` (plain releases only), newest first.
fn pyenv_candidates(v: PyVersion) -> Vec<PathBuf> {
    let root = match std::env::var_os("PYENV_ROOT") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => match std::env::var_os("HOME") {
            Some(h) => PathBuf::from(h).join(".pyenv"),
            None => return Vec::new(),
        },
    };
    let prefix = format!("{v}.");
    let Ok(rd) = std::fs::read_dir(root.join("versions")) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, PathBuf)> = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(micro) = name.strip_prefix(&prefix) else {
            continue;
        };
        // NB: `3.13.0t` (free-threaded) and `-dev` builds are not the reference build
        let Ok(micro) = micro.parse::<u32>() else {
            continue;
        };
        let bin = e.path().join("bin");
        let exe = [format!("python{v}"), "python3".to_string()]
            .into_iter()
            .map(|n| bin.join(n))
            .find(|p| is_executable(p));
        if let Some(exe) = exe {
            found.push((micro, exe));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, p)| p).collect()
}

/// Pyodide from `<repo>/node_modules/<alias>`, if that and `node` exist.
fn pyodide_kind(alias: &str) -> Option<InterpreterKind> {
    let root = repo_root();
    let runner = root.join("tools/pyodide/run.mjs");
    if !root
        .join("node_modules")
        .join(alias)
        .join("pyodide.mjs")
        .is_file()
        || !runner.is_file()
    {
        return None;
    }
    let node = match std::env::var_os("PYREWRITE_NODE") {
        Some(n) if !n.is_empty() => PathBuf::from(n),
        _ => on_path("node")?,
    };
    Some(InterpreterKind::Pyodide {
        node,
        runner,
        alias: alias.to_string(),
    })
}

/// The npm package alias of the pyodide build of `v` (`py314`).
fn pyodide_alias(v: PyVersion) -> String {
    format!("py{}{}", v.major, v.minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_interpreters_report_their_own_version() {
        for i in find_all() {
            eprintln!("oracle: {}", i.describe());
            let out = i
                .run_code(
                    "import sys; print(sys.version_info[0], sys.version_info[1])",
                    &[] as &[&str],
                )
                .expect("interpreter starts");
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                text.trim(),
                format!("{} {}", i.version.major, i.version.minor),
                "{}",
                i.describe()
            );
        }
    }
}
