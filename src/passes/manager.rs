//! The pass manager: runs a [`Pipeline`] over every code object of a file.
//!
//! Per file: lift every code object (each once, depth first), run each pass
//! in order over all of them, verify every function a pass changed (errors
//! say "after pass NAME: ..."), then recompute `co_stacksize` of the changed
//! ones and assemble them back into the arena. Any error leaves the caller
//! with an `Err` and nothing to write. Optional dumps write the IR text
//! before and after each pass; per-pass times and counts accumulate in
//! [`Pipeline::stats`].

use super::{Changed, Cx, Pass, PassInfo, RawValue, RuntimeImport, Sites};
use crate::asm;
use crate::code;
use crate::error::{Error, ErrorKind, PassSite, Result};
use crate::ir::{self, Function};
use crate::lift;
use crate::marshal::{Marshal, ObjId};
use crate::opcodes::{self, OpTable};
use crate::pyc::Pyc;
use crate::stackdepth;
use crate::version::PyVersion;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One configured pass of a pipeline.
pub struct Step {
    /// Its registry entry.
    pub info: &'static PassInfo,
    /// The configured pass.
    pub pass: Box<dyn Pass>,
}

/// Totals of one pipeline step over every file it ran on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassStats {
    /// The pass name.
    pub name: &'static str,
    /// Time spent in the pass's `run` (verification excluded).
    pub run_time: Duration,
    /// Time spent verifying what it changed.
    pub verify_time: Duration,
    /// Files it ran on.
    pub files: usize,
    /// Code objects it saw.
    pub code_objects: usize,
    /// Code objects it changed.
    pub changed: usize,
    /// Sites it matched and changed ([`Sites`]).
    pub sites: Sites,
}

/// Where `--dump` writes.
struct Dump {
    dir: PathBuf,
    /// Input paths are named relative to this (the IN of the command line).
    root: PathBuf,
}

/// An ordered list of configured passes.
pub struct Pipeline {
    steps: Vec<Step>,
    dump: Option<Dump>,
    stats: Mutex<Vec<PassStats>>,
}

impl Pipeline {
    /// A pipeline of `steps`, run in order.
    pub fn new(steps: Vec<Step>) -> Self {
        let stats = steps
            .iter()
            .map(|s| PassStats {
                name: s.info.name,
                ..PassStats::default()
            })
            .collect();
        Pipeline {
            steps,
            dump: None,
            stats: Mutex::new(stats),
        }
    }

    /// Builds a pipeline from pass names and raw parameters, checking each
    /// (unknown names list the valid ones).
    pub fn from_specs(
        specs: &[(String, Vec<(String, RawValue)>)],
    ) -> std::result::Result<Self, super::ConfigError> {
        let mut steps = Vec::new();
        for (name, raw) in specs {
            let info = super::lookup(name)?;
            steps.push(Step {
                info,
                pass: info.configure(raw)?,
            });
        }
        Ok(Pipeline::new(steps))
    }

    /// True when there is no pass.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every global the passes' output loads at run time, in pass order.
    pub fn runtime_imports(&self) -> Vec<RuntimeImport> {
        let mut out: Vec<RuntimeImport> = Vec::new();
        for r in self.steps.iter().flat_map(|s| s.pass.runtime_imports()) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    /// The modules of [`Pipeline::runtime_imports`]. NB: never instrument
    /// them: a hook that calls itself recurses, and one imported while it
    /// imports itself is a circular import.
    pub fn runtime_modules(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.runtime_imports() {
            if !out.contains(&r.module) {
                out.push(r.module);
            }
        }
        out
    }

    /// The pass names in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.info.name).collect()
    }

    /// Writes IR dumps under `dir`: for input `IN/sub/x.pyc` (relative to
    /// `root`), `dir/sub/x.pyc.<k>-<pass>.before.txt` and `.after.txt`.
    pub fn set_dump(&mut self, dir: &Path, root: &Path) {
        self.dump = Some(Dump {
            dir: dir.to_path_buf(),
            root: root.to_path_buf(),
        });
    }

    /// One message per step that cannot apply to files of version `v`
    /// (`pass 2 (replace-op): ...`); empty when all can.
    pub fn check_version(&self, v: PyVersion) -> Vec<String> {
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(k, s)| {
                s.pass
                    .check_version(v)
                    .err()
                    .map(|e| format!("pass {} ({}): {e}", k + 1, s.info.name))
            })
            .collect()
    }

    /// Per-step totals so far.
    pub fn stats(&self) -> Vec<PassStats> {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// One line per step: time, files, code objects changed/seen.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for (k, s) in self.stats().iter().enumerate() {
            out.push_str(&format!(
                "pass {}: {:<14} run {:>9.3} ms, verify {:>9.3} ms, {} file(s), changed {}/{} code object(s), {} site(s)\n",
                k + 1,
                s.name,
                s.run_time.as_secs_f64() * 1e3,
                s.verify_time.as_secs_f64() * 1e3,
                s.files,
                s.changed,
                s.code_objects,
                s.sites.changed
            ));
        }
        out
    }

    /// Runs the pipeline over `pyc` (read from `path`, used for dump names).
    pub fn run(&self, pyc: &mut Pyc, path: &Path) -> Result<()> {
        self.run_counted(pyc, path).map(|_| ())
    }

    /// [`Pipeline::run`], returning this file's counts per step.
    pub fn run_counted(&self, pyc: &mut Pyc, path: &Path) -> Result<Vec<PassStats>> {
        let dump = self.dump.as_ref().map(|d| {
            let rel = path
                .strip_prefix(&d.root)
                .ok()
                .filter(|r| !r.as_os_str().is_empty());
            let rel = rel.map_or_else(
                || PathBuf::from(path.file_name().unwrap_or_default()),
                Path::to_path_buf,
            );
            d.dir.join(rel)
        });
        self.run_marshal_counted(&mut pyc.marshal, dump.as_deref())
    }

    /// Runs the pipeline over every code object of `m`; `dump`, when set,
    /// is the path prefix of the IR dump files.
    pub fn run_marshal(&self, m: &mut Marshal, dump: Option<&Path>) -> Result<()> {
        self.run_marshal_counted(m, dump).map(|_| ())
    }

    /// Runs the pipeline over a code object that is not a module's (a live
    /// function's `__code__`, marshalled on its own), whose qualified name
    /// is `qualname`: no pass treats it as a module body.
    pub fn run_code(&self, m: &mut Marshal, qualname: &str) -> Result<()> {
        self.run_rooted(m, None, Some(qualname)).map(|_| ())
    }

    /// [`Pipeline::run_marshal`], returning this file's counts per step.
    pub fn run_marshal_counted(
        &self,
        m: &mut Marshal,
        dump: Option<&Path>,
    ) -> Result<Vec<PassStats>> {
        self.run_rooted(m, dump, None)
    }

    /// `root`: the qualified name of a non-module root, `None` for a module.
    fn run_rooted(
        &self,
        m: &mut Marshal,
        dump: Option<&Path>,
        root: Option<&str>,
    ) -> Result<Vec<PassStats>> {
        if self.steps.is_empty() {
            return Ok(Vec::new());
        }
        let version = m.version;
        let table = opcodes::table(version).ok_or_else(|| {
            Error::new(ErrorKind::Unsupported(format!(
                "opcodes of Python {version}"
            )))
        })?;
        let mut units = lift_units(m, root)?;
        let mut local: Vec<PassStats> = self
            .steps
            .iter()
            .map(|s| PassStats {
                name: s.info.name,
                files: 1,
                ..Default::default()
            })
            .collect();
        for (k, step) in self.steps.iter().enumerate() {
            let name = step.info.name;
            let dump_file = |when: &str| dump.map(|d| dump_path(d, k + 1, name, when));
            if let Some(p) = dump_file("before") {
                write_dump(&p, m, &units)?;
            }
            let failure = match step.pass.module_pass() {
                Some(mp) => run_module_step(mp, name, m, &mut units, &mut local[k], root)?,
                None => run_step(step, m, table, &mut units, &mut local[k], root.is_none())?,
            };
            // NB: written on failure too: the broken IR is what the user needs to see.
            if let Some(p) = dump_file("after") {
                write_dump(&p, m, &units)?;
            }
            if let Some((msg, site)) = failure {
                return Err(Error::new(ErrorKind::Invalid(msg)).in_pass(site));
            }
        }
        assemble_changed(&mut units, m)?;
        self.add_stats(&local);
        Ok(local)
    }

    /// Adds one file's figures to the pipeline's totals.
    fn add_stats(&self, local: &[PassStats]) {
        if let Ok(mut total) = self.stats.lock() {
            for (t, l) in total.iter_mut().zip(local.iter()) {
                t.run_time += l.run_time;
                t.verify_time += l.verify_time;
                t.files += l.files;
                t.code_objects += l.code_objects;
                t.changed += l.changed;
                t.sites.matched += l.sites.matched;
                t.sites.changed += l.sites.changed;
            }
        }
    }
}

/// Every code object of `m` once (shared ones too), lifted, with its
/// qualified name; `root` names a root that is not a module's.
fn lift_units(m: &Marshal, root: Option<&str>) -> Result<Vec<Unit>> {
    let qualnames: HashMap<ObjId, String> = code::qualnames_rooted(m, root).into_iter().collect();
    let mut units = Vec::new();
    let mut seen = HashSet::new();
    for (id, depth) in m.code_objects() {
        // NB: a code object shared through marshal references is edited once.
        if !seen.insert(id) {
            continue;
        }
        let qualname = qualnames.get(&id).cloned().unwrap_or_else(|| "<?>".into());
        let f = lift::lift(m, id).map_err(|e| e.context(format!("lifting {qualname}")))?;
        units.push(Unit {
            id,
            depth,
            qualname,
            f,
            changed: false,
            sized: false,
        });
    }
    Ok(units)
}

/// Runs one step over every unit, timing it and verifying what it changed;
/// `Ok(Some((message, site)))` when a changed unit no longer verifies.
/// `module_root`: the root code object is a module body.
fn run_step(
    step: &Step,
    m: &mut Marshal,
    table: &'static OpTable,
    units: &mut [Unit],
    st: &mut PassStats,
    module_root: bool,
) -> Result<Option<(String, PassSite)>> {
    let name = step.info.name;
    let version = m.version;
    for u in units.iter_mut() {
        let is_module = u.depth == 0 && module_root;
        let mut cx = Cx {
            m,
            code: u.id,
            qualname: &u.qualname,
            depth: u.depth,
            is_module,
            version,
            table,
            sites: &mut st.sites,
        };
        let t0 = Instant::now();
        let r = step.pass.run(&mut cx, &mut u.f);
        st.run_time += t0.elapsed();
        st.code_objects += 1;
        let site = |u: &Unit, problems| PassSite {
            pass: name,
            code_object: u.qualname.clone(),
            problems,
        };
        let changed = r.map_err(|e| {
            e.context(format!("in pass {name}, code object {}", u.qualname))
                .in_pass(site(u, Vec::new()))
        })?;
        if changed == Changed::Yes {
            st.changed += 1;
            u.changed = true;
            u.sized = false;
            if let Some(problems) = verify_unit(u, m, st) {
                // NB: the problems themselves follow on their own lines
                // (the error's Display) and stay data for --json and Python.
                let msg = format!(
                    "after pass {name}: {} is invalid: {} problem(s)",
                    u.qualname,
                    problems.len()
                );
                return Ok(Some((msg, site(u, problems))));
            }
        }
    }
    Ok(None)
}

/// Recomputes the stack size of every changed unit and assembles it back
/// into the arena; they count as unchanged afterwards.
fn assemble_changed(units: &mut [Unit], m: &mut Marshal) -> Result<()> {
    for u in units.iter_mut().filter(|u| u.changed) {
        let q = &u.qualname;
        if !u.sized {
            u.f.stacksize = stackdepth::stacksize(&u.f)
                .map_err(|e| e.context(format!("stack depth of {q}")))?;
        }
        asm::assemble(&u.f, m, u.id).map_err(|e| e.context(format!("assembling {q}")))?;
        u.changed = false;
    }
    Ok(())
}

/// Runs a whole-module pass ([`super::python`]): what earlier steps changed
/// is assembled first, the root code object goes out as marshal bytes, and
/// what comes back replaces the arena and is lifted again. The pass
/// verified every code object it changed (`Bytecode.to_code`); the bytes
/// are read back with the same checks as any input.
fn run_module_step(
    mp: &dyn super::python::ModulePass,
    name: &'static str,
    m: &mut Marshal,
    units: &mut Vec<Unit>,
    st: &mut PassStats,
    root: Option<&str>,
) -> Result<Option<(String, PassSite)>> {
    assemble_changed(units, m)?;
    let root_name = units
        .first()
        .map_or_else(|| "<module>".to_string(), |u| u.qualname.clone());
    let site = PassSite {
        pass: name,
        code_object: root_name,
        problems: Vec::new(),
    };
    let t0 = Instant::now();
    let bytes = crate::marshal::write::write(m)?;
    let out = mp.rewrite(&bytes, m.version);
    st.run_time += t0.elapsed();
    st.code_objects += units.len();
    match out {
        Err(msg) => Ok(Some((format!("pass {name}: {msg}"), site))),
        Ok(None) => Ok(None),
        Ok(Some(new)) => {
            let fresh = crate::marshal::read::read(&new, m.version)
                .map_err(|e| e.context(format!("reading what pass {name} returned")))?;
            *m = fresh;
            *units = lift_units(m, root)?;
            // NB: the module as a whole is the one site a module pass changes.
            st.changed += units.len();
            st.sites.matched += 1;
            st.sites.changed += 1;
            Ok(None)
        }
    }
}

/// Recomputes a changed unit's stack size and verifies it; the problems, if any.
fn verify_unit(
    u: &mut Unit,
    m: &Marshal,
    st: &mut PassStats,
) -> Option<Vec<crate::verify::VerifierError>> {
    let t1 = Instant::now();
    // NB: assembling reuses the size computed here.
    let (sized, v) = crate::verify::resize_and_verify(&mut u.f, m);
    u.sized |= sized;
    st.verify_time += t1.elapsed();
    v.err()
}

struct Unit {
    id: ObjId,
    depth: usize,
    qualname: String,
    f: Function,
    changed: bool,
    /// `f.stacksize` was computed from `f` as it is (by the verification
    /// after the pass that last changed it).
    sized: bool,
}

fn dump_path(prefix: &Path, k: usize, name: &str, when: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_os_string();
    s.push(format!(".{k}-{name}.{when}.txt"));
    PathBuf::from(s)
}

fn write_dump(path: &Path, m: &Marshal, units: &[Unit]) -> Result<()> {
    let mut text = String::new();
    for u in units {
        text.push_str(&format!(
            "# code object {} (depth {})\n",
            u.qualname, u.depth
        ));
        ir::write_function(&u.f, m, &mut text);
        text.push('\n');
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::from(e).in_file(dir))?;
    }
    std::fs::write(path, text).map_err(|e| Error::from(e).in_file(path))
}
