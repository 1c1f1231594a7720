//! Passes written in Python for the engine's pipelines: the resolver the
//! library's `python` pass asks for `module:function`, registered when the
//! extension is imported. The function runs through
//! `pyrewrite.api._python_pass_on_marshal` (the same code path as a
//! callable given to `pyrewrite.Pipeline`), so every code object it
//! changes is assembled and verified by `Bytecode.to_code`.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyrewrite::passes::python::{set_resolver, ModulePass};
use pyrewrite::PyVersion;

/// Registers the resolver (once per process).
pub fn register() {
    set_resolver(Box::new(resolve));
}

fn resolve(target: &str) -> Result<Box<dyn ModulePass>, String> {
    Python::attach(|py| {
        let (module, attr) = target
            .split_once(':')
            .ok_or_else(|| format!("{target:?}: expected module:function"))?;
        let describe = |e: PyErr| format!("{target}: {}", e.value(py));
        let m = py.import(module.trim()).map_err(describe)?;
        let mut f: Bound<'_, PyAny> = m.into_any();
        for part in attr.trim().split('.') {
            f = f.getattr(part).map_err(describe)?;
        }
        if !f.is_callable() {
            return Err(format!("{target} is not callable"));
        }
        let host = (|| -> PyResult<PyVersion> {
            let vi = py.import("sys")?.getattr("version_info")?;
            Ok(PyVersion::new(
                vi.get_item(0)?.extract()?,
                vi.get_item(1)?.extract()?,
            ))
        })()
        .map_err(describe)?;
        Ok(Box::new(PyModulePass {
            target: target.to_string(),
            function: f.unbind(),
            host,
        }) as Box<dyn ModulePass>)
    })
}

struct PyModulePass {
    target: String,
    function: Py<PyAny>,
    host: PyVersion,
}

impl ModulePass for PyModulePass {
    fn check_version(&self, v: PyVersion) -> Result<(), String> {
        if v == self.host {
            Ok(())
        } else {
            // NB: the pass sees live code objects, which only the running
            // interpreter's marshal can make.
            Err(format!(
                "{} is written in Python and runs on code of this interpreter ({}), not {v}",
                self.target, self.host
            ))
        }
    }

    fn rewrite(&self, code: &[u8], v: PyVersion) -> Result<Option<Vec<u8>>, String> {
        // NB: no exception of an earlier run may stand for this one's failure.
        crate::errors::stash_pass_error(None);
        self.check_version(v)?;
        Python::attach(|py| {
            let run = py
                .import("pyrewrite.api")
                .and_then(|m| m.getattr("_python_pass_on_marshal"));
            let out =
                run.and_then(|run| run.call1((self.function.bind(py), PyBytes::new(py, code))));
            match out {
                Ok(v) if v.is_none() => Ok(None),
                Ok(v) => v
                    .extract::<Vec<u8>>()
                    .map(Some)
                    .map_err(|e| format!("{}: {}", self.target, e.value(py))),
                Err(e) => {
                    let text = format!(
                        "{} raised {}: {}",
                        self.target,
                        e.get_type(py)
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default(),
                        e.value(py)
                    );
                    // NB: the engine carries a message; the exception
                    // itself is raised again where the engine's error
                    // reaches Python (errors::to_py).
                    crate::errors::stash_pass_error(Some(e));
                    Err(text)
                }
            }
        })
    }
}
