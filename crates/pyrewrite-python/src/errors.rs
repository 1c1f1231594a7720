//! Library errors as `pyrewrite.errors` exceptions, with their location as
//! attributes (`path`, `offset`, `pass_name`, `code_object`).

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyString, PyTuple};
use pyrewrite::verify::VerifierError;
use pyrewrite::{Error, ErrorKind};

/// Instantiates `pyrewrite.errors.<class>(message, **attrs)`.
fn make(
    py: Python<'_>,
    class: &str,
    message: String,
    attrs: &[(&str, Option<Py<PyAny>>)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("pyrewrite.errors")?.getattr(class)?;
        let kw = PyDict::new(py);
        for (k, v) in attrs {
            kw.set_item(k, v)?;
        }
        Ok(PyErr::from_value(cls.call((message.clone(),), Some(&kw))?))
    };
    // NB: only a broken installation (no pyrewrite.errors) lands here; the
    // error is still raised, as a plain RuntimeError.
    build().unwrap_or_else(|e| {
        PyRuntimeError::new_err(format!("{message} (and pyrewrite.errors failed: {e})"))
    })
}

thread_local! {
    /// The exception a Python pass run by the engine raised on this thread.
    static PASS_ERROR: std::cell::RefCell<Option<PyErr>> = const { std::cell::RefCell::new(None) };
}

/// Keeps the exception a Python pass raised inside an engine pipeline, so
/// that the caller gets that exception (a `VerifyError` with its problems,
/// or the pass's own error) rather than its text.
pub fn stash_pass_error(e: Option<PyErr>) {
    PASS_ERROR.with(|c| *c.borrow_mut() = e);
}

/// The stashed exception, when `e` is the failure of the pass that raised
/// it: `Ok` when it is a `pyrewrite.Error` (raised as it is, with
/// `pass_name` and `code_object` filled in when missing), `Err` for any
/// other exception (the `PassError` gets it as its `__cause__`).
fn stashed_for(py: Python<'_>, e: &Error) -> Option<Result<PyErr, PyErr>> {
    let stashed = PASS_ERROR.with(|c| c.borrow_mut().take())?;
    // NB: only the `python` pass stashes; another pass's failure is its own.
    let site = e
        .pass_site()
        .filter(|s| !s.is_verifier() && s.pass == pyrewrite::passes::python::INFO.name)?;
    let value = stashed.value(py);
    let is_ours = py
        .import("pyrewrite.errors")
        .and_then(|m| m.getattr("Error"))
        .is_ok_and(|cls| value.is_instance(&cls).unwrap_or(false));
    if !is_ours {
        return Some(Err(stashed));
    }
    for (attr, v) in [
        ("pass_name", site.pass),
        ("code_object", site.code_object.as_str()),
    ] {
        if value.getattr(attr).is_ok_and(|x| x.is_none()) {
            let _ = value.setattr(attr, v);
        }
    }
    Some(Ok(stashed))
}

/// The exception for a library error: `VerifyError` when the verifier
/// rejected a pass's output, `PassError` when a pass refused,
/// `UnsupportedError` for a version or feature pyrewrite does not handle,
/// `ParseError` for everything the reader refuses.
pub fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    let cause = match stashed_for(py, e) {
        Some(Ok(raised)) => return raised,
        Some(Err(other)) => Some(other),
        None => None,
    };
    let site = e.pass_site();
    let class = match (site, e.kind()) {
        (Some(s), _) if s.is_verifier() => "VerifyError",
        (Some(_), _) => "PassError",
        (None, ErrorKind::Unsupported(_)) => "UnsupportedError",
        (None, ErrorKind::Io(_)) => "Error",
        (None, _) => "ParseError",
    };
    let s = |v: &str| PyString::new(py, v).into_any().unbind();
    let attrs = [
        ("path", e.path().map(|p| s(&p.display().to_string()))),
        (
            "offset",
            e.offset().map(|o| PyInt::new(py, o).into_any().unbind()),
        ),
        ("pass_name", site.map(|x| s(x.pass))),
        ("code_object", site.map(|x| s(&x.code_object))),
        (
            "problems",
            site.and_then(|x| problems(py, x.problems.iter().map(|p| (p, None)))),
        ),
    ];
    let err = make(py, class, e.to_string(), &attrs);
    err.set_cause(py, cause);
    err
}

/// A tuple of `pyrewrite.errors.Problem`s, each with the index of its
/// `Bytecode` item when known; `None` (the attribute's default) only when
/// `pyrewrite.errors` is broken.
fn problems<'a>(
    py: Python<'_>,
    ps: impl Iterator<Item = (&'a VerifierError, Option<usize>)>,
) -> Option<Py<PyAny>> {
    let build = || -> PyResult<Py<PyAny>> {
        let cls = py.import("pyrewrite.errors")?.getattr("Problem")?;
        let mut out = Vec::new();
        for (p, item) in ps {
            let l = &p.location;
            out.push(cls.call1((
                p.invariant.name(),
                &p.message,
                l.offset,
                l.label.map(|b| b.0),
                item,
            ))?);
        }
        Ok(PyTuple::new(py, out)?.into_any().unbind())
    };
    build().ok()
}

/// A pipeline that cannot be built: a `UsageError` with `pass_name` (the
/// pass a parameter belongs to) and `valid` (the names an unknown pass or
/// parameter could have been; None otherwise).
pub fn config(e: &pyrewrite::passes::ConfigError) -> PyErr {
    Python::attach(|py| {
        let s = |v: &str| PyString::new(py, v).into_any().unbind();
        let valid = match e.valid() {
            [] => None,
            names => PyTuple::new(py, names).ok().map(|t| t.into_any().unbind()),
        };
        make(
            py,
            "UsageError",
            e.to_string(),
            &[("pass_name", e.pass_name().map(s)), ("valid", valid)],
        )
    })
}

/// A usage error (unknown pass, bad parameter, bad config): a
/// `pyrewrite.errors.UsageError`, which is also a `ValueError`.
pub fn usage(message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let e = make(py, "UsageError", message.clone(), &[]);
        if e.is_instance_of::<PyValueError>(py) {
            e
        } else {
            PyValueError::new_err(message)
        }
    })
}

/// A version pyrewrite does not handle.
pub fn unsupported(message: String) -> PyErr {
    Python::attach(|py| make(py, "UnsupportedError", message, &[]))
}

/// The verifier rejected code built from Python: a `VerifyError` whose
/// `instruction` is the index of the first offending item, when known, and
/// whose `problems` are `errs`, each with the item index `item` gives it.
pub fn verify(
    py: Python<'_>,
    message: String,
    errs: &[VerifierError],
    item: impl Fn(&VerifierError) -> Option<usize>,
) -> PyErr {
    let first = errs.first().and_then(&item);
    let i = first.map(|i| PyInt::new(py, i).into_any().unbind());
    let ps = problems(py, errs.iter().map(|p| (p, item(p))));
    make(
        py,
        "VerifyError",
        message,
        &[("instruction", i), ("problems", ps)],
    )
}

/// A bad item in an instruction list: a `UsageError` naming its index.
pub fn usage_at(py: Python<'_>, message: String, index: usize) -> PyErr {
    make(
        py,
        "UsageError",
        message,
        &[(
            "instruction",
            Some(PyInt::new(py, index).into_any().unbind()),
        )],
    )
}
