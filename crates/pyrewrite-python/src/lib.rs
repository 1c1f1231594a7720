//! `pyrewrite._pyrewrite`: the compiled core of the Python package.
//!
//! A thin layer over the pyrewrite library: it converts Python values to
//! pass parameters, bytes to marshal arenas and library errors to the
//! `pyrewrite.errors` exceptions. Code objects cross the boundary as the
//! bytes `marshal.dumps` gives, so a live function goes through exactly the
//! reader, passes, verifier and assembler a `.pyc` file does. No bytecode
//! logic lives here or in the Python package.
#![deny(missing_docs)]

mod edit;
mod errors;
mod instr;
mod params;
mod pypass;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyrewrite::inspect::info::{self, FileInfo};
use pyrewrite::marshal::{self, Marshal};
use pyrewrite::passes::{self, config};
use pyrewrite::PyVersion;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A configured list of passes, checked once and reused for every code
/// object (the import hook builds one per `install()`).
#[pyclass(module = "pyrewrite._pyrewrite", frozen)]
struct Pipeline {
    inner: passes::Pipeline,
}

#[pymethods]
impl Pipeline {
    /// `passes`: a list of pass names or `(name, params)` pairs; `config`:
    /// the text of a TOML pipeline (`origin` names it in errors).
    /// With `text`, parameter values are command-line text (`--param
    /// from=1`), parsed by each parameter's kind as the CLI does.
    #[new]
    #[pyo3(signature = (passes=None, *, config=None, origin=None, text=false))]
    fn new(
        passes: Option<&Bound<'_, PyAny>>,
        config: Option<&str>,
        origin: Option<&str>,
        text: bool,
    ) -> PyResult<Self> {
        let specs = match (passes, config) {
            (Some(_), Some(_)) => {
                return Err(errors::usage("give either passes or config, not both"))
            }
            (Some(p), None) => params::specs(p, text)?,
            (None, Some(text)) => {
                config::parse(text, origin.unwrap_or("<config>")).map_err(|e| errors::config(&e))?
            }
            (None, None) => Vec::new(),
        };
        let inner = passes::Pipeline::from_specs(&specs).map_err(|e| errors::config(&e))?;
        Ok(Pipeline { inner })
    }

    /// The pass names, in run order.
    #[getter]
    fn names(&self) -> Vec<&'static str> {
        self.inner.names()
    }

    /// Modules the rewritten code imports at run time (never instrument them).
    fn runtime_modules(&self) -> Vec<String> {
        self.inner.runtime_modules()
    }

    /// `(name, module, attr, in_builtins)` of every global the rewritten
    /// code loads; a module's code binds them itself, a function's code
    /// needs them bound by the caller (`patch()` does).
    fn runtime_imports(&self) -> Vec<(String, String, String, bool)> {
        self.inner
            .runtime_imports()
            .into_iter()
            .map(|r| (r.name, r.module, r.attr, r.builtins))
            .collect()
    }

    /// Rewrites the marshalled code object `data` (as `marshal.dumps` gives
    /// it) for CPython `version` and returns the new marshal bytes. With
    /// `qualname` the code is a function's (or class body's) of that
    /// qualified name; without, a module's.
    #[pyo3(signature = (data, version, qualname=None))]
    fn rewrite<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        version: (u8, u8),
        qualname: Option<&str>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let v = host_version(version)?;
        let out = py.detach(|| -> pyrewrite::Result<Vec<u8>> {
            let mut m = marshal::read::read(data, v)?;
            match qualname {
                Some(q) => self.inner.run_code(&mut m, q)?,
                None => self.inner.run_marshal(&mut m, None)?,
            }
            marshal::write::write(&m)
        });
        Ok(PyBytes::new(py, &out.map_err(|e| errors::to_py(py, &e))?))
    }

    /// Per pass: `(name, code objects seen, code objects changed)`, summed
    /// over every rewrite so far.
    fn stats(&self) -> Vec<(&'static str, usize, usize)> {
        self.inner
            .stats()
            .into_iter()
            .map(|s| (s.name, s.code_objects, s.changed))
            .collect()
    }
}

/// A parsed `.pyc` file of any supported CPython version.
#[pyclass(module = "pyrewrite._pyrewrite")]
struct Pyc {
    inner: pyrewrite::pyc::Pyc,
    path: Option<String>,
}

#[pymethods]
impl Pyc {
    /// Parses the bytes of a `.pyc`; `path` names it in errors.
    #[new]
    #[pyo3(signature = (data, path=None))]
    fn new(py: Python<'_>, data: &[u8], path: Option<String>) -> PyResult<Self> {
        let inner = pyrewrite::pyc::Pyc::parse(data)
            .map_err(|e| errors::to_py(py, &located(e, path.as_deref())))?;
        Ok(Pyc { inner, path })
    }

    /// The CPython version the file is for, as `(major, minor)`.
    #[getter]
    fn version(&self) -> (u8, u8) {
        let v = self.inner.version();
        (v.major, v.minor)
    }

    /// The path it was read from, if any.
    #[getter]
    fn path(&self) -> Option<String> {
        self.path.clone()
    }

    /// The header's flags word (PEP 552).
    #[getter]
    fn flags(&self) -> u32 {
        self.inner.header.flags
    }

    /// Runs `pipeline` over every code object; on error the file is unchanged.
    fn rewrite(&mut self, py: Python<'_>, pipeline: &Pipeline) -> PyResult<()> {
        let mut copy = self.inner.marshal.clone();
        let path = self.path.clone();
        py.detach(|| pipeline.inner.run_marshal(&mut copy, None))
            .map_err(|e| errors::to_py(py, &located(e, path.as_deref())))?;
        self.inner.marshal = copy;
        Ok(())
    }

    /// The whole file's bytes (header and marshalled module).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let b = self.inner.to_bytes().map_err(|e| errors::to_py(py, &e))?;
        Ok(PyBytes::new(py, &b))
    }

    /// The marshalled module without the header (what `marshal.loads` takes).
    fn code_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let b = marshal::write::write(&self.inner.marshal).map_err(|e| errors::to_py(py, &e))?;
        Ok(PyBytes::new(py, &b))
    }

    /// What that version's `dis.dis` prints for the module.
    fn dis(&self, py: Python<'_>) -> PyResult<String> {
        pyrewrite::dis::dis_module(&self.inner.marshal).map_err(|e| errors::to_py(py, &e))
    }

    /// `pyrewrite info --json` of the file, as JSON text.
    fn info_json(&self, py: Python<'_>) -> PyResult<String> {
        let fi = FileInfo::of(&self.inner).map_err(|e| errors::to_py(py, &e))?;
        Ok(serde_json::to_string(&fi).expect("the info report serialises"))
    }
}

fn located(e: pyrewrite::Error, path: Option<&str>) -> pyrewrite::Error {
    match path {
        Some(p) => e.in_file(std::path::Path::new(p)),
        None => e,
    }
}

/// Checks that pyrewrite handles `version` and returns it.
fn host_version((major, minor): (u8, u8)) -> PyResult<PyVersion> {
    let v = PyVersion::new(major, minor);
    if PyVersion::SUPPORTED.contains(&v) {
        Ok(v)
    } else {
        let names: Vec<String> = PyVersion::SUPPORTED.iter().map(|v| v.to_string()).collect();
        Err(errors::unsupported(format!(
            "Python {v} is not supported (supported: {})",
            names.join(", ")
        )))
    }
}

fn read_code(py: Python<'_>, data: &[u8], version: (u8, u8)) -> PyResult<Marshal> {
    let v = host_version(version)?;
    marshal::read::read(data, v).map_err(|e| errors::to_py(py, &e))
}

/// What `dis.dis` prints for the marshalled code object `data`.
/// `addresses`: `id()` of each live code object, in pre-order over
/// `co_consts` (the root first); nested code objects' reprs then show
/// those, as CPython's do, instead of pyrewrite's made-up addresses.
/// `reprs`: per code object in the same order, per constant, the live
/// `repr()` where the marshalled value cannot tell it (a frozenset's
/// iteration order), else None.
#[pyfunction]
#[pyo3(signature = (data, version, addresses=None, reprs=None))]
fn dis_code(
    py: Python<'_>,
    data: &[u8],
    version: (u8, u8),
    addresses: Option<Vec<u64>>,
    reprs: Option<Vec<Vec<Option<String>>>>,
) -> PyResult<String> {
    let m = read_code(py, data, version)?;
    let order = preorder(&m);
    let live: std::collections::HashMap<_, _> = order
        .iter()
        .copied()
        .zip(reprs.unwrap_or_default())
        .collect();
    // NB: the listing shows `(repr)` of a constant; swap pyrewrite's repr
    // for the live one within that code object's own listing only.
    let mut edit = |id, mut text: String| {
        let Some(view) = pyrewrite::code::CodeView::new(&m, id) else {
            return text;
        };
        for (&k, r) in view
            .consts()
            .iter()
            .zip(live.get(&id).into_iter().flatten())
        {
            if let Some(r) = r {
                let mine = format!("({})", pyrewrite::pyrepr::repr(&m, k));
                text = text.replace(&mine, &format!("({r})"));
            }
        }
        text
    };
    let text =
        pyrewrite::dis::dis_code_with(&m, m.root, &mut edit).map_err(|e| errors::to_py(py, &e))?;
    Ok(match addresses {
        Some(a) => with_addresses(&order, text, &a),
        None => text,
    })
}

/// Every code object under the root, pre-order over `co_consts`.
fn preorder(m: &Marshal) -> Vec<pyrewrite::marshal::ObjId> {
    let mut order = Vec::new();
    let mut stack: Vec<_> = pyrewrite::code::CodeView::new(m, m.root)
        .into_iter()
        .collect();
    while let Some(cv) = stack.pop() {
        order.push(cv.id);
        stack.extend(cv.children().into_iter().rev());
    }
    order
}

/// Replaces the made-up address of each code object's repr in `text` by
/// its live address. NB: only the `<code object NAME at 0x...,` form is
/// touched, so a constant that happens to spell the number is left alone.
fn with_addresses(
    order: &[pyrewrite::marshal::ObjId],
    mut text: String,
    addresses: &[u64],
) -> String {
    for (id, &addr) in order.iter().zip(addresses) {
        let fake = format!(" at {:#x}, file ", pyrewrite::pyrepr::code_address(*id));
        text = text.replace(&fake, &format!(" at {addr:#x}, file "));
    }
    text
}

/// The `code_objects` list of `pyrewrite info --json` for the marshalled
/// code object `data`, as JSON text.
#[pyfunction]
fn info_code_json(py: Python<'_>, data: &[u8], version: (u8, u8)) -> PyResult<String> {
    let m = read_code(py, data, version)?;
    let list = info::code_objects(&m).map_err(|e| errors::to_py(py, &e))?;
    Ok(serde_json::to_string(&list).expect("the info report serialises"))
}

/// `(name, summary, [(param, kind, default or None, help)])` of every pass.
#[pyfunction]
fn pass_list() -> Vec<(
    &'static str,
    &'static str,
    Vec<(
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
    )>,
)> {
    passes::PASSES
        .iter()
        .map(|p| {
            (
                p.name,
                p.summary(),
                p.params
                    .iter()
                    .map(|s| (s.name, s.kind.describe(), s.default, s.help))
                    .collect(),
            )
        })
        .collect()
}

/// Runs the pyrewrite command line with `argv` (program name first) and
/// returns its exit code.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> i32 {
    // NB: the library's `cli` feature: `python -m pyrewrite dis ...` is the
    // `pyrewrite` binary's own command line.
    py.detach(|| pyrewrite::cli::main_from(argv))
}

/// The module.
#[pymodule]
fn _pyrewrite(m: &Bound<'_, PyModule>) -> PyResult<()> {
    pypass::register();
    m.add_class::<Pipeline>()?;
    m.add_class::<Pyc>()?;
    m.add_function(wrap_pyfunction!(dis_code, m)?)?;
    m.add_function(wrap_pyfunction!(info_code_json, m)?)?;
    m.add_function(wrap_pyfunction!(pass_list, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(edit::lift_into, m)?)?;
    m.add_function(wrap_pyfunction!(edit::assemble_list, m)?)?;
    m.add_function(wrap_pyfunction!(edit::untouched, m)?)?;
    m.add_class::<instr::Instr>()?;
    m.add_class::<instr::Label>()?;
    m.add("UNSET", instr::unset(m.py()).clone_ref(m.py()))?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let supported: Vec<(u8, u8)> = PyVersion::SUPPORTED
        .iter()
        .map(|v| (v.major, v.minor))
        .collect();
    m.add("SUPPORTED_VERSIONS", supported)?;
    Ok(())
}
