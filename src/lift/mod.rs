//! Bytecode to IR: turns a code object into a [`Function`] of labelled blocks.
//!
//! Jump arguments become [`Label`]s (targets computed as each version's
//! `dis` computes them, via [`OpTable::jump_target`]), EXTENDED_ARG prefixes
//! and inline caches fold into their instruction, and every instruction
//! gets the location covering its first code unit and (3.11+) the
//! exception-table entry covering it. Blocks start at offset 0, at every
//! jump and handler target, and after every jump or terminator.

use crate::error::{Error, ErrorKind, Result};
use crate::exctable;
use crate::ir::{
    self, Arg, Block, ConstIdx, FreeIdx, Function, Handler, Instr, Label, Loc, LocalIdx, NameIdx,
};
use crate::locations;
use crate::marshal::{Marshal, ObjId, Value};
use crate::opcodes::{self, ArgKind, OpTable};

/// One instruction as found in `co_code`, before labels exist.
#[derive(Clone, Debug)]
pub struct RawInstr {
    /// Byte offset of the first EXTENDED_ARG prefix (or of the opcode).
    pub start: u32,
    /// Byte offset of the opcode itself.
    pub op_offset: u32,
    /// One past the last byte, inline caches included.
    pub end: u32,
    /// Opcode byte.
    pub op: u8,
    /// The argument with EXTENDED_ARG prefixes merged in.
    pub arg: u32,
    /// Number of EXTENDED_ARG prefixes.
    pub ext: u8,
    /// True when some inline cache byte was not zero.
    pub dirty_cache: bool,
}

fn invalid(offset: u32, msg: String) -> Error {
    Error::at(u64::from(offset), ErrorKind::Invalid(msg))
}

/// Splits `co_code` into instructions, folding EXTENDED_ARG prefixes and
/// (3.11+) inline caches into the instruction they belong to.
pub fn decode(t: &OpTable, code: &[u8]) -> Result<Vec<RawInstr>> {
    if code.len() % 2 != 0 {
        return Err(invalid(
            code.len() as u32 - 1,
            "co_code has an odd length".into(),
        ));
    }
    let mut out = Vec::with_capacity(code.len() / 2);
    let mut i = 0usize;
    let (mut start, mut ext, mut acc) = (0u32, 0u8, 0u32);
    while i < code.len() {
        let (op, byte) = (code[i], code[i + 1]);
        let info = t
            .get(op)
            .ok_or_else(|| invalid(i as u32, format!("undefined opcode {op}")))?;
        if ext == 0 {
            start = i as u32;
        }
        if op == t.extended_arg {
            if ext == 3 {
                return Err(invalid(
                    i as u32,
                    "more than three EXTENDED_ARG prefixes".into(),
                ));
            }
            ext += 1;
            acc = (acc | u32::from(byte)) << 8;
            i += 2;
            continue;
        }
        // NB: rows carry no caches before 3.11.
        let caches = usize::from(info.cache_entries);
        let end = i + 2 + 2 * caches;
        if end > code.len() {
            return Err(invalid(
                i as u32,
                format!("{} at {i}: inline caches run past the code", info.name),
            ));
        }
        let dirty_cache = code[i + 2..end].iter().any(|&b| b != 0);
        out.push(RawInstr {
            start,
            op_offset: i as u32,
            end: end as u32,
            op,
            arg: acc | u32::from(byte),
            ext,
            dirty_cache,
        });
        ext = 0;
        acc = 0;
        i = end;
    }
    if ext != 0 {
        return Err(invalid(start, "EXTENDED_ARG at the end of the code".into()));
    }
    Ok(out)
}

/// The argument of a non-jump instruction, as the IR records it.
pub fn arg_of(t: &OpTable, op: u8, raw: u32) -> Arg {
    let Some(info) = t.get(op) else {
        return Arg::Int(raw);
    };
    let facts = &info.facts;
    if !t.takes_arg(op) {
        return if raw == 0 { Arg::None } else { Arg::Int(raw) };
    }
    match info.arg {
        ArgKind::None | ArgKind::Jump => Arg::Int(raw),
        ArgKind::Int
        | ArgKind::Intrinsic1
        | ArgKind::Intrinsic2
        | ArgKind::SpecialMethod
        | ArgKind::CommonConstant => Arg::Int(raw),
        ArgKind::Const => Arg::Const(ConstIdx(raw)),
        ArgKind::Name => {
            let s = u32::from(facts.name_shift);
            Arg::Name {
                index: NameIdx(raw >> s),
                flags: (raw & ((1 << s) - 1)) as u8,
            }
        }
        ArgKind::Local if facts.local_pair => {
            let (a, b) = opcodes::local_pair(raw);
            Arg::LocalPair(LocalIdx(a), LocalIdx(b))
        }
        ArgKind::Local => Arg::Local(LocalIdx(raw)),
        ArgKind::Free => Arg::Free(FreeIdx(raw)),
        ArgKind::Compare => Arg::Compare(raw),
        ArgKind::BinaryOp => Arg::BinaryOp(raw),
    }
}

/// Lifts the code object `code` of arena `m` into a [`Function`].
pub fn lift(m: &Marshal, code: ObjId) -> Result<Function> {
    let Value::Code(c) = m.get(code) else {
        return Err(Error::new(ErrorKind::UnexpectedType {
            expected: "a code object",
            found: "another value".into(),
        }));
    };
    let v = m.version;
    let t = opcodes::table(v)
        .ok_or_else(|| Error::new(ErrorKind::Unsupported(format!("opcodes of Python {v}"))))?;
    let bytes = m.bytes(c.code).ok_or_else(|| {
        Error::new(ErrorKind::UnexpectedType {
            expected: "bytes for co_code",
            found: "another value".into(),
        })
    })?;
    let raw = decode(t, bytes)?;
    let n = bytes.len() as u32;
    let exc = match c.exceptiontable.and_then(|e| m.bytes(e)) {
        Some(tab) if v.localsplus_layout() => exctable::decode(tab, n as usize)?,
        _ => Vec::new(),
    };
    let lt = m.bytes(c.linetable).unwrap_or(&[]);
    let entries = locations::decode(v, lt, c.firstlineno, n as usize)?;
    let layout = Layout::new(t, &raw, &exc, bytes.len())?;
    let mut lines = Lines {
        lnotab: v.lnotab(),
        entries: &entries,
        ei: 0,
        ghost_lines: Vec::new(),
    };
    let blocks = build_blocks(t, &raw, &layout, &mut lines);
    let end_ghosts = lines.end(n);
    let items = |id: Option<ObjId>| id.map_or(Vec::new(), |i| m.items(i).to_vec());
    let mut f = Function {
        version: v,
        blocks,
        consts: m.items(c.consts).to_vec().into(),
        names: m.items(c.names).to_vec().into(),
        localsplus: m.items(c.varnames).to_vec().into(),
        localspluskinds: c
            .localspluskinds
            .and_then(|k| m.bytes(k))
            .map_or(Vec::new(), |b| b.to_vec()),
        cellvars: items(c.cellvars),
        freevars: items(c.freevars),
        argcount: c.argcount,
        posonlyargcount: c.posonlyargcount,
        kwonlyargcount: c.kwonlyargcount,
        nlocals: c.nlocals,
        stacksize: c.stacksize,
        flags: c.flags,
        firstlineno: c.firstlineno,
        name: c.name,
        qualname: c.qualname,
        filename: c.filename,
        ghost_lines: lines.ghost_lines,
        end_ghosts,
        peephole_tuples: Vec::new(),
        next_label: layout.sizes.len() as u32,
    };
    f.peephole_tuples = crate::stackdepth::peephole::folded_tuples(m, &f);
    Ok(f)
}

/// Where blocks start and what jumps and handlers point at, by instruction index.
struct Layout {
    /// Instruction `k` opens a block.
    starts: Vec<bool>,
    /// Target instruction of jump `k`.
    jump_to: Vec<Option<usize>>,
    /// Exception-table entries with their target instruction.
    handlers: Vec<(exctable::ExcEntry, usize)>,
    /// Label of each block start, numbered in layout order.
    label_of: Vec<Label>,
    /// Instructions per block.
    sizes: Vec<usize>,
}

impl Layout {
    /// Blocks start at instruction 0, at every jump and handler target, and
    /// after every jump or terminator.
    fn new(
        t: &OpTable,
        raw: &[RawInstr],
        exc: &[exctable::ExcEntry],
        code_len: usize,
    ) -> Result<Layout> {
        // Instruction index by start offset; jump and handler targets must be one.
        // NB: indexed by code unit (offsets are even), u32::MAX inside an instruction.
        let mut by_start = vec![u32::MAX; code_len / 2];
        for (k, r) in raw.iter().enumerate() {
            by_start[r.start as usize / 2] = k as u32;
        }
        let target_index = |off: i64, from: u32| -> Result<usize> {
            usize::try_from(off)
                .ok()
                .filter(|o| o % 2 == 0)
                .and_then(|o| by_start.get(o / 2))
                .filter(|&&k| k != u32::MAX)
                .map(|&k| k as usize)
                .ok_or_else(|| {
                    invalid(
                        from,
                        format!("target {off} is not the start of an instruction"),
                    )
                })
        };
        let mut starts = vec![false; raw.len()];
        if !raw.is_empty() {
            starts[0] = true;
        }
        let mut jump_to = vec![None; raw.len()];
        for (k, r) in raw.iter().enumerate() {
            let info = t.get(r.op).expect("decoded");
            if info.jump.is_some() {
                let off = t.jump_target(r.op, r.arg, r.op_offset).expect("a jump");
                let ti = target_index(off, r.op_offset)?;
                starts[ti] = true;
                jump_to[k] = Some(ti);
            }
            if (info.jump.is_some() || info.facts.terminator) && k + 1 < raw.len() {
                starts[k + 1] = true;
            }
        }
        let mut handlers: Vec<(exctable::ExcEntry, usize)> = Vec::with_capacity(exc.len());
        for e in exc {
            let ti = target_index(i64::from(e.target), e.target)?;
            starts[ti] = true;
            handlers.push((*e, ti));
        }
        let mut label_of = vec![Label(u32::MAX); raw.len()];
        let mut sizes: Vec<usize> = Vec::new();
        for k in 0..raw.len() {
            if starts[k] {
                label_of[k] = Label(sizes.len() as u32);
                sizes.push(0);
            }
            *sizes.last_mut().expect("block 0 starts at instruction 0") += 1;
        }
        Ok(Layout {
            starts,
            jump_to,
            handlers,
            label_of,
            sizes,
        })
    }
}

/// A cursor over the decoded line/location records, in offset order.
struct Lines<'a> {
    /// 3.8/3.9 `co_lnotab`: statement starts and ghost records matter.
    lnotab: bool,
    entries: &'a [locations::LocEntry],
    /// Location entry cursor.
    ei: usize,
    /// Lines of empty records found so far ([`Function::ghost_lines`]).
    ghost_lines: Vec<Vec<i32>>,
}

impl Lines<'_> {
    /// Empty records just before offset `at` (3.8/3.9), as ghost lines.
    ///
    /// NB: empty records (pairs with a zero byte delta) only matter on
    /// 3.8/3.9; 3.10 writes them only when splitting, and the encoder
    /// re-creates those splits.
    fn ghosts_at(&mut self, at: u32) -> Option<ir::GhostLines> {
        if !self.lnotab {
            return None;
        }
        let lines: Vec<i32> = self.entries[self.ei..]
            .iter()
            .take_while(|e| e.start == at && e.end == at)
            .filter_map(|e| e.line)
            .collect();
        (!lines.is_empty()).then(|| {
            self.ghost_lines.push(lines);
            ir::GhostLines(self.ghost_lines.len() as u32 - 1)
        })
    }

    /// The ghost lines, location and statement-start flag of the
    /// instruction starting at byte `start` (its first code unit, the
    /// first EXTENDED_ARG), skipping empty records.
    #[inline]
    fn at(&mut self, start: u32) -> (Option<ir::GhostLines>, Loc, bool) {
        let entries = self.entries;
        while self.ei < entries.len()
            && entries[self.ei].end <= start
            && entries[self.ei].start < start
        {
            self.ei += 1;
        }
        let ghosts = self.ghosts_at(start);
        while self.ei < entries.len() && entries[self.ei].end <= start {
            self.ei += 1;
        }
        let here = entries.get(self.ei).filter(|e| e.start <= start);
        let starts_line = self.lnotab && here.is_some_and(|e| e.start == start);
        let loc = here.map_or(Loc::default(), |e| Loc {
            line: e.line,
            end_line: e.end_line,
            col: e.col,
            end_col: e.end_col,
        });
        (ghosts, loc, starts_line)
    }

    /// Ghost lines after the last instruction (code length `n`).
    fn end(&mut self, n: u32) -> Option<ir::GhostLines> {
        let entries = self.entries;
        while self.ei < entries.len() && entries[self.ei].end <= n && entries[self.ei].start < n {
            self.ei += 1;
        }
        self.ghosts_at(n)
    }
}

/// The blocks of `raw`: each instruction with its IR argument, location
/// and covering handler.
fn build_blocks(
    t: &OpTable,
    raw: &[RawInstr],
    layout: &Layout,
    lines: &mut Lines<'_>,
) -> Vec<Block> {
    let Layout {
        starts,
        jump_to,
        handlers,
        label_of,
        sizes,
    } = layout;
    let mut blocks: Vec<Block> = Vec::with_capacity(sizes.len());
    let mut xi = 0usize; // exception entry cursor
    for (k, r) in raw.iter().enumerate() {
        if starts[k] {
            blocks.push(Block {
                label: label_of[k],
                instrs: Vec::with_capacity(sizes[blocks.len()]),
            });
        }
        let (ghosts, loc, starts_line) = lines.at(r.start);
        while xi < handlers.len() && handlers[xi].0.end <= r.start {
            xi += 1;
        }
        let handler = handlers
            .get(xi)
            .filter(|(e, _)| e.start <= r.start)
            .map(|(e, ti)| Handler {
                target: label_of[*ti],
                depth: e.depth,
                lasti: e.lasti,
            });
        let arg = match jump_to[k] {
            Some(ti) => Arg::Jump(label_of[ti]),
            None => arg_of(t, r.op, r.arg),
        };
        let ins = Instr {
            // NB: `decode` refused bytes this version does not define.
            op: t.opcode(r.op).expect("decoded"),
            arg,
            loc,
            handler,
            ext: r.ext,
            starts_line,
            ghosts,
        };
        blocks
            .last_mut()
            .expect("block 0 starts at instruction 0")
            .instrs
            .push(ins);
    }
    blocks
}
