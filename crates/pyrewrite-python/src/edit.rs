//! The engine behind `pyrewrite.Bytecode`: a code object's IR as a flat
//! list of labels and instructions whose arguments Python can read and
//! write, and that list assembled back into a code object.
//!
//! Lifting, argument meaning, block splitting, the tables (`co_names`,
//! locals), stack depth, the verifier, line and exception tables all stay in
//! the library; Python sees names, not opcode bytes or indices.

use super::errors;
use super::instr::{self, Kind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyList, PyString, PyTuple};
use pyrewrite::ir::{
    Arg, Block, ConstIdx, FreeIdx, Function, GhostLines, Handler, Instr, Label, Loc, LocalIdx,
    NameIdx,
};
use pyrewrite::marshal::{self, Marshal, ObjId, Value};
use pyrewrite::opcodes::{OpTable, Opcode};
use std::collections::HashMap;

// NB: 3.11+ localspluskinds bits (Include/internal/pycore_code.h).
const CO_FAST_LOCAL: u8 = 0x20;
const CO_FAST_CELL: u8 = 0x40;
const CO_FAST_FREE: u8 = 0x80;

/// The UTF-8 bytes of a str node (names compare without decoding).
fn str_bytes(m: &Marshal, id: ObjId) -> Option<&[u8]> {
    match m.get(id) {
        Value::Str(b) => Some(b),
        _ => None,
    }
}

fn str_of(m: &Marshal, id: ObjId) -> String {
    m.str(id).map(|s| s.into_owned()).unwrap_or_default()
}

/// The names of the version's free-variable index space: localsplus on
/// 3.11+, cellvars then freevars before.
fn free_space(f: &Function) -> Vec<ObjId> {
    if f.version.at_least(11) {
        f.localsplus.to_vec()
    } else {
        f.cellvars.iter().chain(&f.freevars).copied().collect()
    }
}

/// Lifts the marshalled code object `data` into `target` (a list): a
/// `Label` at each block that is a jump or handler target, then its
/// `Instr`s. Constants are the very objects of `consts` (the live code
/// object's `co_consts`) and names the very strings of `names` (its
/// `co_names`); comparisons read as `compare(k)` (the `Compare`
/// enum) when writing the symbol back gives the same argument, else as the
/// raw number; handlers are `handler(label, depth, lasti)` (3.11+).
#[pyfunction]
pub fn lift_into(
    py: Python<'_>,
    target: &Bound<'_, PyList>,
    data: &[u8],
    consts: &Bound<'_, PyTuple>,
    names: &Bound<'_, PyTuple>,
    compare: &Bound<'_, PyAny>,
    handler: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let t = instr::host_table(py)?;
    let m = marshal::read::read(data, t.version).map_err(|e| errors::to_py(py, &e))?;
    let f = pyrewrite::lift::lift(&m, m.root).map_err(|e| errors::to_py(py, &e))?;
    let mut labels: HashMap<Label, Py<instr::Label>> = HashMap::new();
    for i in f.instrs() {
        let jump = match i.arg {
            Arg::Jump(l) => Some(l),
            _ => None,
        };
        for l in jump.into_iter().chain(i.handler.map(|h| h.target)) {
            if let std::collections::hash_map::Entry::Vacant(e) = labels.entry(l) {
                e.insert(Py::new(py, instr::Label)?);
            }
        }
    }
    // NB: one Python string per variable (names and opcode names exist
    // already: the code object's and the table's).
    let mut strings: HashMap<ObjId, Py<PyString>> = HashMap::new();
    let mut string = |id: ObjId| -> Py<PyString> {
        strings
            .entry(id)
            .or_insert_with(|| PyString::new(py, &str_of(&m, id)).unbind())
            .clone_ref(py)
    };
    let opnames = instr::opnames(py);
    let mut handlers: HashMap<(Label, u32, bool), Py<PyAny>> = HashMap::new();
    let mut compares: HashMap<u32, Py<PyAny>> = HashMap::new();
    let free = free_space(&f);
    let none = || py.None();
    let unset = instr::unset(py);
    for b in &f.blocks {
        if let Some(l) = labels.get(&b.label) {
            target.append(l)?;
        }
        for i in &b.instrs {
            let var = |space: &[ObjId], n: u32, s: &mut dyn FnMut(ObjId) -> Py<PyString>| {
                space
                    .get(n as usize)
                    .map_or_else(none, |&x| s(x).into_any())
            };
            let arg: Py<PyAny> = match i.arg {
                Arg::None => unset.clone_ref(py).into_any(),
                Arg::Int(n) => n.into_pyobject(py)?.into_any().unbind(),
                Arg::Const(c) => consts.get_item(c.0 as usize)?.unbind(),
                Arg::Name { index, flags } => {
                    let bits = t.facts(i.op).name_shift;
                    let s = match names.get_item(index.0 as usize) {
                        Ok(s) => s.cast_into::<PyString>()?.unbind(),
                        Err(_) => f
                            .names
                            .get(index)
                            .map_or_else(|| PyString::new(py, "").unbind(), |&n| string(n)),
                    };
                    if bits == 0 {
                        s.into_any()
                    } else {
                        let mut parts: Vec<Py<PyAny>> = (0..bits)
                            .map(|b| {
                                PyBool::new(py, flags >> b & 1 == 1)
                                    .to_owned()
                                    .into_any()
                                    .unbind()
                            })
                            .collect();
                        parts.push(s.into_any());
                        PyTuple::new(py, parts)?.into_any().unbind()
                    }
                }
                Arg::Local(n) => var(&f.localsplus, n.0, &mut string),
                Arg::LocalPair(a, b2) => {
                    let pair = (
                        var(&f.localsplus, a.0, &mut string),
                        var(&f.localsplus, b2.0, &mut string),
                    );
                    pair.into_pyobject(py)?.into_any().unbind()
                }
                Arg::Free(n) => var(&free, n.0, &mut string),
                Arg::Compare(n) => match compare_symbol(t, n) {
                    Some(k) if k <= CMP_GE => match compares.get(&k) {
                        Some(x) => x.clone_ref(py),
                        None => {
                            let x = compare.call1((k,))?.unbind();
                            compares.insert(k, x.clone_ref(py));
                            x
                        }
                    },
                    // NB: 3.8's cmp_op also has in, is, "exception match":
                    // those stay symbols.
                    Some(k) => PyString::new(py, t.cmp_op[k as usize]).into_any().unbind(),
                    None => n.into_pyobject(py)?.into_any().unbind(),
                },
                Arg::BinaryOp(n) => n.into_pyobject(py)?.into_any().unbind(),
                Arg::Jump(l) => labels[&l].clone_ref(py).into_any(),
            };
            let h = match i.handler {
                None => none(),
                Some(h) => match handlers.get(&(h.target, h.depth, h.lasti)) {
                    Some(x) => x.clone_ref(py),
                    None => {
                        let x = handler
                            .call1((labels[&h.target].clone_ref(py), h.depth, h.lasti))?
                            .unbind();
                        handlers.insert((h.target, h.depth, h.lasti), x.clone_ref(py));
                        x
                    }
                },
            };
            // NB: a name can appear twice in the local space (a cell that is
            // also an argument before 3.11); the index tells them apart.
            let hint = match i.arg {
                Arg::Local(n) => Some(n.0),
                Arg::Free(n) => Some(n.0),
                _ => None,
            };
            let name = opnames[i.op as usize].clone_ref(py);
            let ins = instr::Instr {
                op: i.op,
                name,
                arg,
                lineno: i.loc.line,
                end_lineno: i.loc.end_line,
                col_offset: i.loc.col,
                end_col_offset: i.loc.end_col,
                handler: h,
                extra: (i.starts_line, i.ext, hint, i.ghosts.map(|g| g.0)),
                pristine: true,
            };
            target.append(Bound::new(py, ins)?)?;
        }
    }
    Ok(())
}

/// The index in `cmp_op` of comparison argument `n` when writing that
/// symbol back gives `n` again.
fn compare_symbol(t: &OpTable, n: u32) -> Option<u32> {
    let (sym, false) = t.compare_op(n)? else {
        return None;
    };
    let k = cmp_index(t, sym)?;
    (pyrewrite::passes::replace_op::compare_arg(t, k, false) == n).then_some(k)
}

/// Whether `items` is still the list `lifted` (a snapshot taken right
/// after [`lift_into`]): the same objects in the same order, no `Instr`
/// changed since. Then the code object it came from is the result.
#[pyfunction]
pub fn untouched(items: &Bound<'_, PyList>, lifted: &Bound<'_, PyTuple>) -> PyResult<bool> {
    if items.len() != lifted.len() {
        return Ok(false);
    }
    for (x, y) in items.iter().zip(lifted.iter()) {
        if !x.is(&y) {
            return Ok(false);
        }
        if let Ok(ins) = x.cast::<instr::Instr>() {
            if !ins.try_borrow()?.pristine {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// `Compare.GE`: the last comparison the `Compare` enum has.
const CMP_GE: u32 = 5;

/// The index of comparison `sym` in the version's `cmp_op`.
fn cmp_index(t: &OpTable, sym: &str) -> Option<u32> {
    t.cmp_op.iter().position(|&c| c == sym).map(|i| i as u32)
}

/// An instruction argument read from Python, before the tables exist.
enum PArg {
    None,
    Int(u32),
    Const(u32),
    Name(String, u8),
    Local(String),
    LocalPair(String, String),
    Free(String),
    Compare(u32),
    BinOp(u32),
    Jump(u32),
}

/// One item of the list as read from Python.
enum Item {
    Label(u32),
    Instr {
        op: Opcode,
        arg: PArg,
        loc: Loc,
        handler: Option<(u32, u32, bool)>,
        extra: instr::Extra,
    },
}

/// Reads the list's items (phase 1, Python objects only): labels are
/// numbered by identity, constants become indices into `consts` (the very
/// object first, else `const_index(value)`, which appends to `consts` when
/// no equal entry exists).
struct Reader<'a, 'py> {
    py: Python<'py>,
    t: &'static OpTable,
    consts: HashMap<usize, u32>,
    const_index: &'a Bound<'py, PyAny>,
    compare: &'a Bound<'py, PyAny>,
    labels: HashMap<usize, u32>,
}

impl<'py> Reader<'_, 'py> {
    fn label(&mut self, x: &Bound<'py, PyAny>) -> u32 {
        let n = self.labels.len() as u32;
        *self.labels.entry(x.as_ptr() as usize).or_insert(n)
    }

    fn item(&mut self, k: usize, x: &Bound<'py, PyAny>) -> PyResult<Item> {
        if x.is_instance_of::<instr::Label>() {
            return Ok(Item::Label(self.label(x)));
        }
        let Ok(ins) = x.cast::<instr::Instr>() else {
            let ty = x.get_type().name()?;
            return Err(errors::usage_at(
                self.py,
                format!("item {k} is a {ty}, not an Instr or a Label"),
                k,
            ));
        };
        let ins = ins.try_borrow()?;
        let at = |py: Python<'_>, e: PyErr| {
            errors::usage_at(py, format!("item {k}: {}", e.value(py)), k)
        };
        let handler = match ins.handler.bind(self.py) {
            h if h.is_none() => None,
            h => {
                let (target, depth, lasti): (Bound<'py, PyAny>, u32, bool) =
                    h.extract().map_err(|e| at(self.py, e))?;
                if !target.is_instance_of::<instr::Label>() {
                    return Err(errors::usage_at(
                        self.py,
                        format!("item {k}: a handler's target must be a Label"),
                        k,
                    ));
                }
                Some((self.label(&target), depth, lasti))
            }
        };
        let arg = self.arg(&ins).map_err(|e| at(self.py, e))?;
        Ok(Item::Instr {
            op: ins.op,
            arg,
            loc: Loc {
                line: ins.lineno,
                end_line: ins.end_lineno,
                col: ins.col_offset,
                end_col: ins.end_col_offset,
            },
            handler,
            extra: ins.extra,
        })
    }

    /// NB: whether the argument fits the opcode is the assembler's and the
    /// verifier's to say (their errors name the instruction).
    fn arg(&mut self, ins: &instr::Instr) -> PyResult<PArg> {
        let py = self.py;
        let v = ins.arg.bind(py);
        let name = || ins.name.bind(py).to_string();
        let unset = v.is(instr::unset(py));
        Ok(match Kind::of(self.t, ins.op) {
            Kind::None if unset || v.is_none() => PArg::None,
            Kind::None | Kind::Int if !unset => PArg::Int(v.extract()?),
            Kind::Const if !unset => {
                let key = v.as_ptr() as usize;
                match self.consts.get(&key) {
                    Some(&i) => PArg::Const(i),
                    None => {
                        let i: u32 = self.const_index.call1((v,))?.extract()?;
                        self.consts.insert(key, i);
                        PArg::Const(i)
                    }
                }
            }
            Kind::Name if !unset => match v.cast::<PyTuple>() {
                Ok(parts) if !parts.is_empty() => {
                    let n = parts.len() - 1;
                    let mut flags = 0u8;
                    for b in 0..n {
                        if parts.get_item(b)?.is_truthy()? {
                            flags |= 1 << b;
                        }
                    }
                    PArg::Name(parts.get_item(n)?.extract()?, flags)
                }
                _ => PArg::Name(v.extract()?, 0),
            },
            Kind::Local if !unset => PArg::Local(v.extract()?),
            Kind::LocalPair if !unset => {
                let (a, b): (String, String) = v.extract()?;
                PArg::LocalPair(a, b)
            }
            Kind::Free if !unset => PArg::Free(v.extract()?),
            Kind::Compare if !unset => PArg::Compare(if v.is_instance(self.compare)? {
                let k: u32 = v.extract()?;
                pyrewrite::passes::replace_op::compare_arg(self.t, k, false)
            } else {
                match v.extract::<String>() {
                    Ok(sym) => {
                        let idx = cmp_index(self.t, &sym).ok_or_else(|| {
                            PyValueError::new_err(format!(
                                "unknown comparison {sym:?}; use one of {}",
                                self.t.cmp_op.join(" ")
                            ))
                        })?;
                        pyrewrite::passes::replace_op::compare_arg(self.t, idx, false)
                    }
                    Err(_) => v.extract()?,
                }
            }),
            Kind::BinOp if !unset => PArg::BinOp(match v.extract::<String>() {
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
            Kind::Jump => {
                if !v.is_instance_of::<instr::Label>() {
                    return Err(PyValueError::new_err(format!(
                        "{} needs a Label, got {}",
                        name(),
                        v.repr()?
                    )));
                }
                PArg::Jump(self.label(v))
            }
            Kind::Const => {
                return Err(PyValueError::new_err(format!(
                    "{} needs a constant",
                    name()
                )))
            }
            _ => {
                return Err(PyValueError::new_err(format!(
                    "{} needs an argument",
                    name()
                )))
            }
        })
    }
}

/// Assembles the list `items` (`Instr`s and `Label`s) into a code object,
/// returned marshalled. `template` supplies every field the list does not
/// (names, locals, flags, ...); new names and locals are appended.
/// `consts` starts as the template's constants and grows with new ones
/// (`const_index(value)` finds or appends an entry); `compare` is the
/// `Compare` enum. The result is verified, its stack size computed. Errors
/// name the item index.
#[pyfunction]
pub fn assemble_list<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyList>,
    template: &Bound<'py, PyAny>,
    consts: &Bound<'py, PyList>,
    const_index: &Bound<'py, PyAny>,
    compare: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let t = instr::host_table(py)?;
    let mut known = HashMap::new();
    for (i, c) in consts.iter().enumerate() {
        known.entry(c.as_ptr() as usize).or_insert(i as u32);
    }
    let mut r = Reader {
        py,
        t,
        consts: known,
        const_index,
        compare,
        labels: HashMap::new(),
    };
    let read: Vec<Item> = items
        .iter()
        .enumerate()
        .map(|(k, x)| r.item(k, &x))
        .collect::<PyResult<_>>()?;
    let payload = (template, PyTuple::new(py, consts)?);
    let data = match py.import("marshal")?.call_method1("dumps", (payload,)) {
        Ok(d) => d.cast_into::<PyBytes>()?,
        Err(e) if e.is_instance_of::<PyValueError>(py) => {
            return Err(errors::usage(format!(
                "a constant cannot be stored in a code object: {}",
                e.value(py)
            )))
        }
        Err(e) => return Err(e),
    };
    let mut m =
        marshal::read::read(data.as_bytes(), t.version).map_err(|e| errors::to_py(py, &e))?;
    let (code_id, consts_id) = match m.items(m.root) {
        [c, k] => (*c, *k),
        _ => {
            return Err(PyValueError::new_err(
                "expected the marshalled (template, consts) pair",
            ))
        }
    };
    let mut f = pyrewrite::lift::lift(&m, code_id).map_err(|e| errors::to_py(py, &e))?;
    f.consts = m.items(consts_id).to_vec().into();
    let mut b = Builder {
        t,
        names: f
            .names
            .iter()
            .enumerate()
            .map(|(i, &n)| (str_of(&m, n), NameIdx(i as u32)))
            .collect(),
        f: &mut f,
        m: &mut m,
        labels: HashMap::new(),
        next: 0,
        blocks: Vec::new(),
        origin: Vec::new(),
    };
    for (k, item) in read.into_iter().enumerate() {
        b.item(k, item).map_err(|e| at_item(k, e))?;
    }
    let Builder { blocks, origin, .. } = b;
    f.blocks = blocks;
    f.next_label = f.blocks.iter().map(|b| b.label.0 + 1).max().unwrap_or(0);
    if let (_, Err(errs)) = pyrewrite::verify::resize_and_verify(&mut f, &m) {
        // The `Bytecode` item each problem is at (through the block it is in).
        let item = |p: &pyrewrite::verify::VerifierError| {
            let bi = p
                .location
                .label
                .and_then(|l| f.blocks.iter().position(|b| b.label == l))?;
            origin.get(bi)?.get(p.location.instr.unwrap_or(0)).copied()
        };
        let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        let where_ =
            item(&errs[0]).map_or(String::from("the code"), |i| format!("instruction {i}"));
        return Err(errors::verify(
            py,
            format!("{where_}: {}", msgs.join("; ")),
            &errs,
            item,
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
    /// `co_names` by name.
    names: HashMap<String, NameIdx>,
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

    fn item(&mut self, k: usize, item: Item) -> PyResult<()> {
        let (op, arg, loc, handler, extra) = match item {
            Item::Label(n) => {
                self.start_block(Some(n));
                return Ok(());
            }
            Item::Instr {
                op,
                arg,
                loc,
                handler,
                extra,
            } => (op, arg, loc, handler, extra),
        };
        let arg = self.arg(arg, extra.2)?;
        let handler = handler.map(|(n, depth, lasti)| Handler {
            target: self.label(n),
            depth,
            lasti,
        });
        let ins = Instr {
            op,
            arg,
            loc,
            handler,
            ext: extra.1,
            starts_line: extra.0,
            // NB: 3.8/3.9 empty line records kept from the lifted code (the
            // template's own, re-lifted with the same numbering).
            ghosts: extra
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

    /// The IR argument; `hint` is the variable index the lifted instruction
    /// had, used while it still names the same variable.
    fn arg(&mut self, arg: PArg, hint: Option<u32>) -> PyResult<Arg> {
        let m = &*self.m;
        let names = |space: &[ObjId], h: u32, s: &str| {
            space
                .get(h as usize)
                .is_some_and(|&n| str_bytes(m, n) == Some(s.as_bytes()))
        };
        Ok(match arg {
            PArg::None => Arg::None,
            PArg::Int(n) => Arg::Int(n),
            PArg::Const(i) => {
                if i as usize >= self.f.consts.len() {
                    return Err(PyValueError::new_err(format!(
                        "constant index {i} out of range"
                    )));
                }
                Arg::Const(ConstIdx(i))
            }
            PArg::Name(name, flags) => Arg::Name {
                index: self.name(&name),
                flags,
            },
            PArg::Local(s) => match hint.filter(|&h| names(&self.f.localsplus, h, &s)) {
                Some(h) => Arg::Local(LocalIdx(h)),
                None => Arg::Local(LocalIdx(self.local(&s))),
            },
            PArg::LocalPair(a, b) => {
                Arg::LocalPair(LocalIdx(self.local(&a)), LocalIdx(self.local(&b)))
            }
            PArg::Free(s) => match hint.filter(|&h| names(&free_space(self.f), h, &s)) {
                Some(h) => Arg::Free(FreeIdx(h)),
                None => Arg::Free(FreeIdx(self.free(&s)?)),
            },
            PArg::Compare(n) => Arg::Compare(n),
            PArg::BinOp(n) => Arg::BinaryOp(n),
            PArg::Jump(n) => Arg::Jump(self.label(n)),
        })
    }

    /// Index of `s` in `co_names`, appended when missing.
    fn name(&mut self, s: &str) -> NameIdx {
        if let Some(&i) = self.names.get(s) {
            return i;
        }
        let id = self.m.push(Value::Str(s.as_bytes().into()));
        let i = self.f.add_name(id);
        self.names.insert(s.to_string(), i);
        i
    }

    /// Index of local `s`, added as a plain local when missing (before the
    /// cell and free variables on 3.11+, whose order CPython fixes).
    fn local(&mut self, s: &str) -> u32 {
        if let Some(i) = self
            .f
            .localsplus
            .iter()
            .position(|&n| str_bytes(self.m, n) == Some(s.as_bytes()))
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
            self.f.localsplus.insert(LocalIdx(at as u32), id);
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
            .position(|&n| str_bytes(self.m, n) == Some(s.as_bytes()));
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
            Arg::Local(n) => up(&mut n.0),
            Arg::Free(n) => up(&mut n.0),
            Arg::LocalPair(a, b) => {
                up(&mut a.0);
                up(&mut b.0)
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
