//! `pyrewrite.Instr`, `pyrewrite.Label` and `UNSET` as native classes.
//!
//! They live in Rust so that lifting a code object builds its instruction
//! objects without running Python code per instruction, and assembling
//! reads their fields without a lookup per attribute (issue 12: an `Instr`
//! written in Python alone cost more than 1/50 of the `bytecode` library's
//! round trip). The names and idioms are the `bytecode` library's.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyTuple};
use pyrewrite::opcodes::{self, ArgKind, OpTable, Opcode};
use pyrewrite::PyVersion;

/// How an instruction's `arg` reads in Python, per opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// No argument (`UNSET`; an int keeps a raw non-zero byte).
    None,
    /// A plain number.
    Int,
    /// The constant itself.
    Const,
    /// A name (a string, or a tuple of flags then the name).
    Name,
    /// A local variable by name.
    Local,
    /// Two locals (3.13+ pair opcodes).
    LocalPair,
    /// A cell or free variable by name.
    Free,
    /// A comparison: a symbol, a `Compare`, or the raw number.
    Compare,
    /// A 3.11+ binary operator: a symbol, a name, or the number.
    BinOp,
    /// A `Label`.
    Jump,
}

impl Kind {
    /// The kind of opcode `code` in `t`.
    pub fn of(t: &OpTable, op: Opcode) -> Kind {
        let Some(info) = t.get(op) else {
            return Kind::None;
        };
        match info.arg {
            _ if !t.takes_arg(op) => Kind::None,
            _ if info.jump.is_some() => Kind::Jump,
            ArgKind::Const => Kind::Const,
            ArgKind::Name => Kind::Name,
            ArgKind::Local if t.facts(info.code).local_pair => Kind::LocalPair,
            ArgKind::Local => Kind::Local,
            ArgKind::Free => Kind::Free,
            ArgKind::Compare => Kind::Compare,
            ArgKind::BinaryOp => Kind::BinOp,
            ArgKind::Jump => Kind::Jump,
            _ => Kind::Int,
        }
    }
}

/// The running interpreter's opcode table: `Instr` names are the host's.
pub fn host_table(py: Python<'_>) -> PyResult<&'static OpTable> {
    static HOST: PyOnceLock<&'static OpTable> = PyOnceLock::new();
    HOST.get_or_try_init(py, || {
        let info = py.import("sys")?.getattr("version_info")?;
        let major: u8 = info.getattr("major")?.extract()?;
        let minor: u8 = info.getattr("minor")?.extract()?;
        let v = PyVersion::new(major, minor);
        opcodes::table(v)
            .ok_or_else(|| super::errors::unsupported(format!("no opcode table for Python {v}")))
    })
    .copied()
}

/// Every opcode's name as one shared Python string, indexed by [`Opcode`].
pub fn opnames(py: Python<'_>) -> &'static [Py<PyString>] {
    static NAMES: PyOnceLock<Vec<Py<PyString>>> = PyOnceLock::new();
    NAMES.get_or_init(py, || {
        Opcode::ALL
            .iter()
            .map(|op| PyString::intern(py, op.name()).unbind())
            .collect()
    })
}

/// The argument of an instruction that takes none.
#[pyclass(module = "pyrewrite", name = "_Unset", frozen)]
pub struct Unset;

#[pymethods]
impl Unset {
    fn __repr__(&self) -> &'static str {
        "UNSET"
    }

    /// Copies and pickles as the one `pyrewrite.UNSET` (a global name).
    fn __reduce__(&self) -> &'static str {
        "UNSET"
    }
}

/// The one `UNSET` object.
pub fn unset(py: Python<'_>) -> &Py<Unset> {
    static UNSET: PyOnceLock<Py<Unset>> = PyOnceLock::new();
    UNSET.get_or_init(py, || Py::new(py, Unset).expect("allocating UNSET"))
}

/// A place in the instruction list: jump targets and handlers point at it.
#[pyclass(module = "pyrewrite", subclass, frozen)]
pub struct Label;

#[pymethods]
impl Label {
    #[new]
    fn new() -> Self {
        Label
    }

    fn __repr__(slf: &Bound<'_, Self>) -> String {
        format!("<Label {:#x}>", slf.as_ptr() as usize)
    }

    /// A copy is a new label (`copy.deepcopy` of a list keeps its jumps
    /// and their labels together through its memo).
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, pyo3::types::PyType>, Bound<'py, PyTuple>)> {
        Ok((slf.get_type(), PyTuple::empty(slf.py())))
    }
}

/// Round-trip details of lifted code: (starts_line, EXTENDED_ARG count,
/// variable index, 3.8/3.9 empty line records).
pub type Extra = (bool, u8, Option<u32>, Option<u32>);

/// One instruction: `Instr(name, arg=UNSET, *, lineno=None, ...)`.
///
/// `arg` is a Python value: the constant itself (`LOAD_CONST`), a name
/// (`LOAD_GLOBAL` 3.11+ and `LOAD_ATTR` 3.12+ take `(flag, name)`, the flag
/// being "push NULL" / "load method"; `LOAD_SUPER_ATTR` `(method,
/// two_args, name)`), a local, cell or free variable by name (`(a, b)` for
/// the 3.13 pair opcodes), a `Label` for jumps, a comparison by symbol
/// (`"<"`) or raw number, a 3.11+ binary operator by symbol (`"+"`) or
/// number, or an int. `lineno=None` means no line (3.10+; on 3.8/3.9 the
/// previous line). `handler` is the 3.11+ exception handler (`Handler`)
/// covering it.
#[pyclass(module = "pyrewrite", subclass)]
pub struct Instr {
    /// The host opcode `name` spells (kept in step by the setter).
    pub op: Opcode,
    pub name: Py<PyString>,
    /// The argument, as a Python value.
    pub arg: Py<PyAny>,
    pub lineno: Option<i32>,
    pub end_lineno: Option<i32>,
    pub col_offset: Option<i32>,
    pub end_col_offset: Option<i32>,
    /// The covering `Handler` (3.11+), or None.
    pub handler: Py<PyAny>,
    /// Round-trip details of lifted code (see [`Extra`]).
    pub extra: Extra,
    /// True while the instruction is as the lifter made it: every setter
    /// clears it, so `to_code` knows an untouched list.
    pub pristine: bool,
}

/// The host opcode called `name`, or a `UsageError`.
fn opcode_named(py: Python<'_>, name: &str) -> PyResult<Opcode> {
    let t = host_table(py)?;
    t.by_name(name)
        .map(|i| i.op)
        .ok_or_else(|| super::errors::usage(format!("no opcode '{name}' in Python {}", t.version)))
}

#[pymethods]
impl Instr {
    #[new]
    #[pyo3(signature = (name, *arg, lineno=None, end_lineno=None, col_offset=None, end_col_offset=None, handler=None))]
    #[pyo3(
        text_signature = "(name, arg=UNSET, *, lineno=None, end_lineno=None, col_offset=None, end_col_offset=None, handler=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: Bound<'_, PyString>,
        arg: &Bound<'_, PyTuple>,
        lineno: Option<i32>,
        end_lineno: Option<i32>,
        col_offset: Option<i32>,
        end_col_offset: Option<i32>,
        handler: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        // NB: `arg` is positional and optional, and None is a real argument
        // (`LOAD_CONST None`): hence `*arg` rather than a default.
        let arg = match arg.len() {
            0 => unset(py).clone_ref(py).into_any(),
            1 => arg.get_item(0)?.unbind(),
            n => {
                return Err(PyValueError::new_err(format!(
                    "Instr takes one argument after the name, got {n}"
                )))
            }
        };
        Ok(Instr {
            op: opcode_named(py, &name.to_cow()?)?,
            name: name.unbind(),
            arg,
            lineno,
            end_lineno,
            col_offset,
            end_col_offset,
            handler: handler.unwrap_or_else(|| py.None()),
            extra: (false, 0, None, None),
            pristine: false,
        })
    }

    /// The opcode's name.
    #[getter]
    fn name(&self, py: Python<'_>) -> Py<PyString> {
        self.name.clone_ref(py)
    }

    #[setter]
    fn set_name(&mut self, py: Python<'_>, name: Bound<'_, PyString>) -> PyResult<()> {
        self.op = opcode_named(py, &name.to_cow()?)?;
        self.name = name.unbind();
        self.pristine = false;
        Ok(())
    }

    /// The argument, as a Python value.
    #[getter]
    fn arg(&self, py: Python<'_>) -> Py<PyAny> {
        self.arg.clone_ref(py)
    }

    #[setter]
    fn set_arg(&mut self, arg: Py<PyAny>) {
        self.arg = arg;
        self.pristine = false;
    }

    /// The first line, or None.
    #[getter]
    fn lineno(&self) -> Option<i32> {
        self.lineno
    }

    #[setter]
    fn set_lineno(&mut self, v: Option<i32>) {
        self.lineno = v;
        self.pristine = false;
    }

    /// The last line (3.11+), or None.
    #[getter]
    fn end_lineno(&self) -> Option<i32> {
        self.end_lineno
    }

    #[setter]
    fn set_end_lineno(&mut self, v: Option<i32>) {
        self.end_lineno = v;
        self.pristine = false;
    }

    /// The first column (3.11+), or None.
    #[getter]
    fn col_offset(&self) -> Option<i32> {
        self.col_offset
    }

    #[setter]
    fn set_col_offset(&mut self, v: Option<i32>) {
        self.col_offset = v;
        self.pristine = false;
    }

    /// The end column (3.11+), or None.
    #[getter]
    fn end_col_offset(&self) -> Option<i32> {
        self.end_col_offset
    }

    #[setter]
    fn set_end_col_offset(&mut self, v: Option<i32>) {
        self.end_col_offset = v;
        self.pristine = false;
    }

    /// The covering `Handler` (3.11+), or None.
    #[getter]
    fn handler(&self, py: Python<'_>) -> Py<PyAny> {
        self.handler.clone_ref(py)
    }

    #[setter]
    fn set_handler(&mut self, v: Py<PyAny>) {
        self.handler = v;
        self.pristine = false;
    }

    /// Round-trip details of lifted code: (starts_line, EXTENDED_ARG
    /// count, variable index, 3.8/3.9 empty line records).
    #[getter(_extra)]
    fn extra(&self) -> Extra {
        self.extra
    }

    #[setter(_extra)]
    fn set_extra(&mut self, v: Extra) {
        self.extra = v;
        self.pristine = false;
    }

    /// `(lineno, end_lineno, col_offset, end_col_offset)`.
    #[getter]
    fn location(&self) -> (Option<i32>, Option<i32>, Option<i32>, Option<i32>) {
        (
            self.lineno,
            self.end_lineno,
            self.col_offset,
            self.end_col_offset,
        )
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let Ok(o) = other.cast::<Instr>() else {
            return Ok(py.NotImplemented());
        };
        let eq = {
            let o = o.try_borrow()?;
            self.op == o.op
                && self.lineno == o.lineno
                && self.arg.bind(py).eq(&o.arg)?
                && self.handler.bind(py).eq(&o.handler)?
        };
        Ok(match op {
            CompareOp::Eq => eq.into_pyobject(py)?.to_owned().into_any().unbind(),
            CompareOp::Ne => (!eq).into_pyobject(py)?.to_owned().into_any().unbind(),
            _ => py.NotImplemented(),
        })
    }

    /// Copies and pickles field by field (`copy.copy`, `copy.deepcopy`,
    /// `pickle`); a copy is no longer as lifted.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(
        Bound<'py, pyo3::types::PyType>,
        Bound<'py, PyTuple>,
        Bound<'py, PyTuple>,
    )> {
        let py = slf.py();
        let me = slf.try_borrow()?;
        let arg = me.arg.bind(py);
        let args = if arg.is(unset(py)) {
            PyTuple::new(py, [me.name.bind(py).clone().into_any()])?
        } else {
            PyTuple::new(py, [me.name.bind(py).clone().into_any(), arg.clone()])?
        };
        let state = (
            me.lineno,
            me.end_lineno,
            me.col_offset,
            me.end_col_offset,
            me.handler.clone_ref(py),
            me.extra,
        )
            .into_pyobject(py)?;
        Ok((slf.get_type(), args, state))
    }

    fn __setstate__(
        &mut self,
        state: (
            Option<i32>,
            Option<i32>,
            Option<i32>,
            Option<i32>,
            Py<PyAny>,
            Extra,
        ),
    ) {
        (
            self.lineno,
            self.end_lineno,
            self.col_offset,
            self.end_col_offset,
            self.handler,
            self.extra,
        ) = state;
        self.pristine = false;
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        (self.name.clone_ref(py), self.lineno)
            .into_pyobject(py)?
            .hash()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let arg = self.arg.bind(py);
        let arg = if arg.is(unset(py)) {
            String::new()
        } else {
            format!(" {}", arg.repr()?)
        };
        let line = self.lineno.map_or("None".to_string(), |l| l.to_string());
        Ok(format!("<{}{arg} lineno={line}>", self.name.bind(py)))
    }
}
