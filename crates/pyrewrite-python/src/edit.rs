//! The engine behind `pyrewrite.Bytecode`: a code object's IR as a flat
//! list of labels and instructions whose arguments Python can read and
//! write, and that list assembled back into a code object.
//!
//! Lifting, argument meaning, block splitting, the tables (`co_names`,
//! locals), stack depth, the verifier, line and exception tables all stay in
//! the library; Python sees names, not opcode bytes or indices.

use super::errors;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use pyrewrite::ir::{
    Arg, Block, ConstIdx, Function, GhostLines, Handler, Instr, Label, Loc, NameIdx,
};
use pyrewrite::marshal::{self, Marshal, ObjId, Value};
use pyrewrite::opcodes::{self, ArgKind, OpTable};
use pyrewrite::PyVersion;
use std::collections::HashMap;

// NB: 3.11+ localspluskinds bits (Include/internal/pycore_code.h).
const CO_FAST_LOCAL: u8 = 0x20;
const CO_FAST_CELL: u8 = 0x40;
const CO_FAST_FREE: u8 = 0x80;

fn table(v: PyVersion) -> PyResult<&'static OpTable> {
    opcodes::table(v).ok_or_else(|| errors::unsupported(format!("no opcode table for Python {v}")))
}

fn str_of(m: &Marshal, id: ObjId) -> String {
    m.str(id).map(|s| s.into_owned()).unwrap_or_default()
}

/// The names of the version's free-variable index space: localsplus on
/// 3.11+, cellvars then freevars before.
fn free_space(f: &Function) -> Vec<ObjId> {
    if f.version.at_least(11) {
        f.localsplus.clone()
    } else {
        f.cellvars.iter().chain(&f.freevars).copied().collect()
    }
}

/// The IR of the marshalled code object `data` as a list: `("label", n)`
/// at each block that is a jump or handler target, and per instruction
/// `(name, kind, value, (line, end_line, col, end_col), handler, extra)`:
/// kind is how `value` reads (`none`, `int`, `const` (a `co_consts`
/// index), `name` (`(name, flags, flag_bits)`), `local`, `localpair`,
/// `free`, `compare`, `binop`, `jump` (a label number)); handler is
/// `(label, depth, lasti)` (3.11+) or None; extra is `(starts_line, ext,
/// index, ghosts)`: the round-trip details of 3.8/3.9 line tables,
/// EXTENDED_ARG, a variable's index (used while the name still matches)
/// and the 3.8/3.9 empty line records before the instruction.
#[pyfunction]
pub fn lift_items(py: Python<'_>, data: &[u8], version: (u8, u8)) -> PyResult<Vec<Py<PyAny>>> {
    let v = PyVersion::new(version.0, version.1);
    let m = marshal::read::read(data, v).map_err(|e| errors::to_py(py, &e))?;
    let f = pyrewrite::lift::lift(&m, m.root).map_err(|e| errors::to_py(py, &e))?;
    let t = table(v)?;
    let mut targets = std::collections::HashSet::new();
    for i in f.instrs() {
        if let Arg::Jump(l) = i.arg {
            targets.insert(l);
        }
        if let Some(h) = i.handler {
            targets.insert(h.target);
        }
    }
    let free = free_space(&f);
    let mut out = Vec::new();
    for b in &f.blocks {
        if targets.contains(&b.label) {
            out.push(("label", b.label.0).into_pyobject(py)?.into_any().unbind());
        }
        for i in &b.instrs {
            let name = t.get(i.op).map_or("<unknown>", |o| o.name);
            let (kind, value): (&str, Py<PyAny>) = match i.arg {
                Arg::None => ("none", py.None()),
                Arg::Int(n) => ("int", n.into_pyobject(py)?.into_any().unbind()),
                Arg::Const(c) => ("const", c.0.into_pyobject(py)?.into_any().unbind()),
                Arg::Name { index, flags } => {
                    let bits = t.facts(i.op).name_shift;
                    let s = f
                        .names
                        .get(index.0 as usize)
                        .map(|&n| str_of(&m, n))
                        .unwrap_or_default();
                    (
                        "name",
                        (s, flags, bits).into_pyobject(py)?.into_any().unbind(),
                    )
                }
                Arg::Local(n) => (
                    "local",
                    f.localsplus
                        .get(n as usize)
                        .map(|&x| str_of(&m, x))
                        .into_pyobject(py)?
                        .into_any()
                        .unbind(),
                ),
                Arg::LocalPair(a, b2) => {
                    let get = |n: u32| f.localsplus.get(n as usize).map(|&x| str_of(&m, x));
                    (
                        "localpair",
                        (get(a), get(b2)).into_pyobject(py)?.into_any().unbind(),
                    )
                }
                Arg::Free(n) => (
                    "free",
                    free.get(n as usize)
                        .map(|&x| str_of(&m, x))
                        .into_pyobject(py)?
                        .into_any()
                        .unbind(),
                ),
                // NB: a comparison reads as its symbol when writing the symbol
                // back gives the same argument, else as the raw number.
                Arg::Compare(n) => match t.compare_op(n) {
                    Some((sym, false))
                        if pyrewrite::passes::replace_op::compare_arg(
                            t,
                            cmp_index(t, sym),
                            false,
                        ) == n =>
                    {
                        ("compare", sym.into_pyobject(py)?.into_any().unbind())
                    }
                    _ => ("compare", n.into_pyobject(py)?.into_any().unbind()),
                },
                Arg::BinaryOp(n) => ("binop", n.into_pyobject(py)?.into_any().unbind()),
                Arg::Jump(l) => ("jump", l.0.into_pyobject(py)?.into_any().unbind()),
            };
            let loc = (i.loc.line, i.loc.end_line, i.loc.col, i.loc.end_col);
            let handler = i.handler.map(|h| (h.target.0, h.depth, h.lasti));
            // NB: a name can appear twice in the local space (a cell that is
            // also an argument before 3.11); the index tells them apart.
            let hint = match i.arg {
                Arg::Local(n) | Arg::Free(n) => Some(n),
                _ => None,
            };
            let ghosts = i.ghosts.map(|g| g.0);
            let item = (
                name,
                kind,
                value,
                loc,
                handler,
                (i.starts_line, i.ext, hint, ghosts),
            );
            out.push(item.into_pyobject(py)?.into_any().unbind());
        }
    }
    Ok(out)
}

/// `{opname: kind}` for every opcode of `version`: how `Instr.arg` reads
/// for it (the kinds of [`lift_items`]).
#[pyfunction]
pub fn arg_kinds(version: (u8, u8)) -> PyResult<HashMap<&'static str, &'static str>> {
    let t = table(PyVersion::new(version.0, version.1))?;
    let mut out = HashMap::new();
    for info in t.ops.iter().flatten() {
        let has_arg = if t.version.at_least(12) {
            info.has_arg
        } else {
            info.code >= t.have_argument
        };
        let kind = match info.arg {
            _ if !has_arg => "none",
            _ if info.jump.is_some() => "jump",
            ArgKind::Const => "const",
            ArgKind::Name => "name",
            ArgKind::Local if t.facts(info.code).local_pair => "localpair",
            ArgKind::Local => "local",
            ArgKind::Free => "free",
            ArgKind::Compare => "compare",
            ArgKind::BinaryOp => "binop",
            ArgKind::Jump => "jump",
            _ => "int",
        };
        out.insert(info.name, kind);
    }
    Ok(out)
}

fn cmp_index(t: &OpTable, sym: &str) -> u32 {
    t.cmp_op.iter().position(|&c| c == sym).unwrap_or(0) as u32
}

/// One instruction as Python gives it back.
struct InItem<'py> {
    name: String,
    kind: String,
    value: Bound<'py, PyAny>,
    loc: (Option<i32>, Option<i32>, Option<i32>, Option<i32>),
    handler: Option<(u32, u32, bool)>,
    extra: (bool, u8, Option<u32>, Option<u32>),
}

/// Assembles `items` (the form [`lift_items`] gives, with `const` values
/// indexing `consts`) into the code object. `data` is the marshalled
/// `(template, consts)`: the template code object supplies every field the
/// list does not (names, locals, flags, ...); new names and locals are
/// appended. The result is verified, its stack size computed, and it is
/// returned marshalled. Errors name the item index.
#[pyfunction]
pub fn assemble_items<'py>(
    py: Python<'py>,
    data: &[u8],
    version: (u8, u8),
    items: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let v = PyVersion::new(version.0, version.1);
    let mut m = marshal::read::read(data, v).map_err(|e| errors::to_py(py, &e))?;
    let (code_id, consts_id) = match m.items(m.root) {
        [c, k] => (*c, *k),
        _ => {
            return Err(PyValueError::new_err(
                "expected the marshalled (template, consts) pair",
            ))
        }
    };
    let t = table(v)?;
    let mut f = pyrewrite::lift::lift(&m, code_id).map_err(|e| errors::to_py(py, &e))?;
    f.consts = m.items(consts_id).to_vec();
    let mut b = Builder {
        t,
        f: &mut f,
        m: &mut m,
        labels: HashMap::new(),
        next: 0,
        blocks: Vec::new(),
        origin: Vec::new(),
    };
    for (k, item) in items.iter().enumerate() {
        b.item(k, item).map_err(|e| at_item(k, e))?;
    }
    let Builder { blocks, origin, .. } = b;
    f.blocks = blocks;
    f.next_label = f.blocks.iter().map(|b| b.label.0 + 1).max().unwrap_or(0);
    // NB: the verifier checks co_stacksize covers the code: compute it first.
    if let Ok(n) = pyrewrite::stackdepth::stacksize(&f) {
        f.stacksize = n;
    }
    if let Err(errs) = pyrewrite::verify::verify_in(&f, &m) {
        let first = &errs[0];
        let index = first
            .location
            .label
            .and_then(|l| f.blocks.iter().position(|b| b.label == l))
            .and_then(|bi| {
                origin
                    .get(bi)
                    .and_then(|o| o.get(first.location.instr.unwrap_or(0)))
                    .copied()
            });
        let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        let where_ = index.map_or(String::from("the code"), |i| format!("instruction {i}"));
        return Err(errors::verify(
            py,
            format!("{where_}: {}", msgs.join("; ")),
            index,
        ));
    }
    pyrewrite::asm::assemble(&f, &mut m, code_id).map_err(|e| errors::to_py(py, &e))?;
    m.root = code_id;
    let out = marshal::write::write(&m).map_err(|e| errors::to_py(py, &e))?;
    Ok(PyBytes::new(py, &out))
}

fn at_item(k: usize, e: PyErr) -> PyErr {
    Python::attach(|py| errors::usage_at(py, format!("instruction {k}: {}", e.value(py)), k))
}

struct Builder<'a> {
    t: &'static OpTable,
    f: &'a mut Function,
    m: &'a mut Marshal,
    /// Python label number -> IR label.
    labels: HashMap<u32, Label>,
    /// The next IR label number.
    next: u32,
    blocks: Vec<Block>,
    /// Per block, per instruction: the item index it came from.
    origin: Vec<Vec<usize>>,
}

impl Builder<'_> {
    fn fresh(&mut self) -> Label {
        self.next += 1;
        Label(self.next - 1)
    }

    fn label(&mut self, n: u32) -> Label {
        if let Some(&l) = self.labels.get(&n) {
            return l;
        }
        let l = self.fresh();
        self.labels.insert(n, l);
        l
    }

    /// Starts a block; a label on a block with no instruction yet names
    /// that block (two labels in a row are one place).
    fn start_block(&mut self, user: Option<u32>) {
        if let Some(b) = self.blocks.last() {
            if b.instrs.is_empty() {
                if let Some(n) = user {
                    let l = b.label;
                    if let Some(&old) = self.labels.get(&n) {
                        // NB: already referenced by a jump: rename the block to it.
                        rename(&mut self.blocks, l, old);
                    } else {
                        self.labels.insert(n, l);
                    }
                }
                return;
            }
        }
        let l = match user {
            Some(n) => self.label(n),
            None => self.fresh(),
        };
        self.blocks.push(Block {
            label: l,
            instrs: Vec::new(),
        });
        self.origin.push(Vec::new());
    }

    fn item(&mut self, k: usize, item: &Bound<'_, PyAny>) -> PyResult<()> {
        let tuple = item
            .cast::<PyTuple>()
            .map_err(|_| PyValueError::new_err("expected a tuple"))?;
        if tuple.len() == 2 {
            self.start_block(Some(tuple.get_item(1)?.extract()?));
            return Ok(());
        }
        let it = InItem {
            name: tuple.get_item(0)?.extract()?,
            kind: tuple.get_item(1)?.extract()?,
            value: tuple.get_item(2)?,
            loc: tuple.get_item(3)?.extract()?,
            handler: tuple.get_item(4)?.extract()?,
            extra: tuple.get_item(5)?.extract()?,
        };
        let info = self.t.by_name(&it.name).ok_or_else(|| {
            PyValueError::new_err(format!(
                "no opcode {:?} in Python {}",
                it.name, self.t.version
            ))
        })?;
        let op = info.code;
        let arg = self.arg(&it)?;
        let handler = match it.handler {
            Some((n, depth, lasti)) => Some(Handler {
                target: self.label(n),
                depth,
                lasti,
            }),
            None => None,
        };
        let (line, end_line, col, end_col) = it.loc;
        let ins = Instr {
            op,
            arg,
            loc: Loc {
                line,
                end_line,
                col,
                end_col,
            },
            handler,
            ext: it.extra.1,
            starts_line: it.extra.0,
            // NB: 3.8/3.9 empty line records kept from the lifted code (the
            // template's own, re-lifted with the same numbering).
            ghosts: it
                .extra
                .3
                .filter(|&g| (g as usize) < self.f.ghost_lines.len())
                .map(GhostLines),
        };
        if self.blocks.is_empty()
            || ends_block(self.t, self.blocks.last().and_then(|b| b.instrs.last()))
        {
            self.start_block(None);
        }
        self.blocks.last_mut().expect("a block").instrs.push(ins);
        self.origin.last_mut().expect("a block").push(k);
        Ok(())
    }

    /// NB: whether the argument fits the opcode is the assembler's and the
    /// verifier's to say (their errors name the instruction).
    fn arg(&mut self, it: &InItem<'_>) -> PyResult<Arg> {
        let v = &it.value;
        Ok(match it.kind.as_str() {
            "none" => Arg::None,
            "int" => Arg::Int(v.extract()?),
            "const" => {
                let i: u32 = v.extract()?;
                if i as usize >= self.f.consts.len() {
                    return Err(PyValueError::new_err(format!(
                        "constant index {i} out of range"
                    )));
                }
                Arg::Const(ConstIdx(i))
            }
            "name" => {
                let (name, flags): (String, u8) = v.extract()?;
                Arg::Name {
                    index: self.name(&name),
                    flags,
                }
            }
            "local" => {
                let s: String = v.extract()?;
                match it.extra.2.filter(|&h| {
                    self.f
                        .localsplus
                        .get(h as usize)
                        .is_some_and(|&n| self.m.str(n).is_some_and(|x| x == s))
                }) {
                    Some(h) => Arg::Local(h),
                    None => Arg::Local(self.local(&s)),
                }
            }
            "localpair" => {
                let (a, b): (String, String) = v.extract()?;
                Arg::LocalPair(self.local(&a), self.local(&b))
            }
            "free" => {
                let s: String = v.extract()?;
                let space = free_space(self.f);
                match it.extra.2.filter(|&h| {
                    space
                        .get(h as usize)
                        .is_some_and(|&n| self.m.str(n).is_some_and(|x| x == s))
                }) {
                    Some(h) => Arg::Free(h),
                    None => Arg::Free(self.free(&s)?),
                }
            }
            "compare" => Arg::Compare(match v.extract::<String>() {
                Ok(sym) => {
                    let idx = self
                        .t
                        .cmp_op
                        .iter()
                        .position(|&c| c == sym)
                        .ok_or_else(|| {
                            PyValueError::new_err(format!(
                                "unknown comparison {sym:?}; use one of {}",
                                self.t.cmp_op.join(" ")
                            ))
                        })?;
                    pyrewrite::passes::replace_op::compare_arg(self.t, idx as u32, false)
                }
                Err(_) => v.extract()?,
            }),
            "binop" => Arg::BinaryOp(match v.extract::<String>() {
                Ok(sym) => self
                    .t
                    .nb_ops
                    .iter()
                    .position(|&(name, s)| s == sym || name == sym)
                    .ok_or_else(|| {
                        let all: Vec<&str> = self.t.nb_ops.iter().map(|p| p.1).collect();
                        PyValueError::new_err(format!(
                            "unknown binary operator {sym:?}; use one of {}",
                            all.join(" ")
                        ))
                    })? as u32,
                Err(_) => v.extract()?,
            }),
            "jump" => Arg::Jump(self.label(v.extract()?)),
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown argument kind {other:?}"
                )))
            }
        })
    }

    /// Index of `s` in `co_names`, appended when missing.
    fn name(&mut self, s: &str) -> NameIdx {
        match self
            .f
            .names
            .iter()
            .position(|&n| self.m.str(n).is_some_and(|x| x == s))
        {
            Some(i) => NameIdx(i as u32),
            None => {
                let id = self.m.push(Value::Str(s.as_bytes().into()));
                self.f.add_name(id)
            }
        }
    }

    /// Index of local `s`, added as a plain local when missing (before the
    /// cell and free variables on 3.11+, whose order CPython fixes).
    fn local(&mut self, s: &str) -> u32 {
        if let Some(i) = self
            .f
            .localsplus
            .iter()
            .position(|&n| self.m.str(n).is_some_and(|x| x == s))
        {
            return i as u32;
        }
        let id = self.m.push(Value::Str(s.as_bytes().into()));
        if self.f.version.at_least(11) {
            let at = self
                .f
                .localspluskinds
                .iter()
                .position(|k| k & CO_FAST_LOCAL == 0)
                .unwrap_or(self.f.localsplus.len());
            self.f.localsplus.insert(at, id);
            self.f.localspluskinds.insert(at, CO_FAST_LOCAL);
            // NB: indices at or after `at` moved; instructions already built
            // refer to them by index, so shift them.
            shift_locals(&mut self.blocks, at as u32);
            at as u32
        } else {
            self.f.localsplus.push(id);
            self.f.nlocals = self.f.localsplus.len() as i32;
            self.f.localsplus.len() as u32 - 1
        }
    }

    /// Index of cell or free variable `s` (it must exist: adding one would
    /// change the function's closure).
    fn free(&mut self, s: &str) -> PyResult<u32> {
        let space = free_space(self.f);
        let found = space
            .iter()
            .position(|&n| self.m.str(n).is_some_and(|x| x == s));
        let ok = |i: usize| {
            !self.f.version.at_least(11)
                || self
                    .f
                    .localspluskinds
                    .get(i)
                    .is_some_and(|k| k & (CO_FAST_CELL | CO_FAST_FREE) != 0)
        };
        match found {
            Some(i) if ok(i) => Ok(i as u32),
            _ => Err(PyValueError::new_err(format!("{s:?} is not a cell or free variable of this code object (add it to cellvars/freevars)"))),
        }
    }
}

/// Renames block `from` to `to`, in jumps and handlers too.
fn rename(blocks: &mut [Block], from: Label, to: Label) {
    for b in blocks.iter_mut() {
        if b.label == from {
            b.label = to;
        }
        for i in b.instrs.iter_mut() {
            if i.arg == Arg::Jump(from) {
                i.arg = Arg::Jump(to);
            }
            if let Some(h) = i.handler.as_mut().filter(|h| h.target == from) {
                h.target = to;
            }
        }
    }
}

/// Moves local indices `>= at` up by one in what is built so far (and in
/// the free-variable space on 3.11+, which is the same array).
fn shift_locals(blocks: &mut [Block], at: u32) {
    let up = |n: &mut u32| {
        if *n >= at {
            *n += 1
        }
    };
    for i in blocks.iter_mut().flat_map(|b| b.instrs.iter_mut()) {
        match &mut i.arg {
            Arg::Local(n) | Arg::Free(n) => up(n),
            Arg::LocalPair(a, b) => {
                up(a);
                up(b)
            }
            _ => {}
        }
    }
}

/// True when an instruction ends its block (the lifter's rule: jumps and
/// instructions that never fall through).
fn ends_block(t: &OpTable, last: Option<&Instr>) -> bool {
    let Some(i) = last else { return false };
    matches!(i.arg, Arg::Jump(_)) || t.facts(i.op).terminator
}
