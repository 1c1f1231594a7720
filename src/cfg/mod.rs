//! Control-flow graph of a [`Function`]: blocks as nodes, typed edges.
//!
//! Built on `petgraph`'s `StableDiGraph`, but every query speaks
//! [`BlockId`] (a block's position in [`Function::blocks`] when the graph
//! was built), never petgraph indices. Edges are:
//!
//! - [`EdgeKind::Fallthrough`]: to the next block in layout order, unless
//!   the block ends in a return, raise or unconditional jump;
//! - [`EdgeKind::Jump`]: to the target of a jump instruction (3.8's
//!   `CALL_FINALLY` included);
//! - [`EdgeKind::Exception`]: to a handler: from the 3.11+ exception table
//!   (per-instruction [`crate::ir::Handler`]s) or, on 3.8-3.10, from the
//!   `SETUP_FINALLY` / `SETUP_WITH` / `SETUP_ASYNC_WITH` instruction that
//!   installs it (those are jumps in the bytecode, see docs/stackdepth.md).
//!
//! Instructions after the first terminator of a block add no edges. A jump
//! to a label no block has is recorded in [`Cfg::dangling`] instead.

pub mod flow;

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Arg, Function, Label, LabelIndex};
use crate::opcodes::{self, Opcode};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::fmt;

pub use flow::JumpUse;

/// A block of the graph: [`crate::ir::BlockId`], its index in
/// [`Function::blocks`] at build time (the IR's name for a block is its
/// [`Label`]; see [`Cfg::label`]).
pub use crate::ir::BlockId;

/// Why control can go from one block to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// Into the next block in layout order.
    Fallthrough,
    /// A jump instruction's target.
    Jump,
    /// An exception handler of instructions of the block.
    Exception,
}

/// One edge: its kind and the instruction (index in the source block) that
/// makes it: the jump, the first instruction covered by the handler, or
/// the block's length for a fall-through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    /// What kind of edge.
    pub kind: EdgeKind,
    /// The instruction responsible.
    pub instr: usize,
}

/// A point in a function: before instruction `instr` of block `block`
/// (`instr` may equal the block's length: the end of that block).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Position {
    /// The block.
    pub block: BlockId,
    /// Index into the block's instructions.
    pub instr: usize,
}

/// The control-flow graph of one function.
#[derive(Clone, Debug)]
pub struct Cfg {
    graph: StableDiGraph<BlockId, Edge>,
    nodes: Vec<NodeIndex>,
    labels: Vec<Label>,
    by_label: LabelIndex,
    dangling: Vec<(Position, Label)>,
    falls_off_end: bool,
}

/// The dominator tree of a [`Cfg`] from its entry block, over all edges.
#[derive(Clone, Debug)]
pub struct Dominators {
    idom: Vec<Option<BlockId>>,
    reachable: Vec<bool>,
}

impl Dominators {
    /// The immediate dominator of `b` (`None` for the entry and for
    /// unreachable blocks).
    pub fn idom(&self, b: BlockId) -> Option<BlockId> {
        self.idom.get(b.index()).copied().flatten()
    }

    /// True when every path from the entry to `b` passes through `a`
    /// (every block dominates itself; unreachable blocks are dominated by
    /// nothing).
    pub fn dominates(&self, a: BlockId, b: BlockId) -> bool {
        if !self.reachable.get(b.index()).copied().unwrap_or(false) {
            return false;
        }
        let mut cur = Some(b);
        while let Some(c) = cur {
            if c == a {
                return true;
            }
            cur = self.idom(c);
        }
        false
    }
}

impl Cfg {
    /// Builds the graph of `f`.
    pub fn new(f: &Function) -> Result<Cfg> {
        let t = opcodes::table(f.version).ok_or_else(|| {
            Error::new(ErrorKind::Unsupported(format!(
                "opcodes of Python {}",
                f.version
            )))
        })?;
        let mut graph = StableDiGraph::with_capacity(f.blocks.len(), f.blocks.len() * 2);
        let mut nodes = Vec::with_capacity(f.blocks.len());
        for i in 0..f.blocks.len() {
            nodes.push(graph.add_node(BlockId(i as u32)));
        }
        let (by_label, _) = LabelIndex::new(&f.blocks);
        let mut cfg = Cfg {
            graph,
            nodes,
            labels: f.blocks.iter().map(|b| b.label).collect(),
            by_label,
            dangling: Vec::new(),
            falls_off_end: false,
        };
        let mut seen: Vec<(BlockId, EdgeKind)> = Vec::new();
        for (i, b) in f.blocks.iter().enumerate() {
            let from = BlockId(i as u32);
            // NB: one edge per (target, kind); most blocks have one or two.
            seen.clear();
            let mut add =
                |cfg: &mut Cfg, to: Label, kind: EdgeKind, instr: usize| match cfg.by_label.get(to)
                {
                    Some(t) => {
                        let tid = BlockId(t as u32);
                        if !seen.contains(&(tid, kind)) {
                            seen.push((tid, kind));
                            cfg.graph.add_edge(
                                cfg.nodes[from.index()],
                                cfg.nodes[tid.index()],
                                Edge { kind, instr },
                            );
                        }
                    }
                    None => cfg.dangling.push((Position { block: from, instr }, to)),
                };
            let mut ended = false;
            for (k, ins) in b.instrs.iter().enumerate() {
                if let Some(h) = ins.handler {
                    add(&mut cfg, h.target, EdgeKind::Exception, k);
                }
                if let Arg::Jump(l) = ins.arg {
                    match flow::jump_use(t, ins.op) {
                        Some(JumpUse::Flow | JumpUse::CallFinally) => {
                            add(&mut cfg, l, EdgeKind::Jump, k)
                        }
                        Some(JumpUse::Setup) => add(&mut cfg, l, EdgeKind::Exception, k),
                        Some(JumpUse::Reference) | None => {
                            if cfg.by_label.get(l).is_none() {
                                cfg.dangling.push((
                                    Position {
                                        block: from,
                                        instr: k,
                                    },
                                    l,
                                ));
                            }
                        }
                    }
                }
                if flow::ends_flow(t, ins.op) {
                    ended = true;
                    break;
                }
            }
            if !ended {
                if i + 1 < f.blocks.len() {
                    let edge = Edge {
                        kind: EdgeKind::Fallthrough,
                        instr: b.instrs.len(),
                    };
                    cfg.graph.add_edge(cfg.nodes[i], cfg.nodes[i + 1], edge);
                } else {
                    cfg.falls_off_end = true;
                }
            }
        }
        Ok(cfg)
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a function with no blocks.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The entry block (the first in layout order), if any.
    pub fn entry(&self) -> Option<BlockId> {
        (!self.nodes.is_empty()).then_some(BlockId(0))
    }

    /// All blocks in layout order.
    pub fn blocks(&self) -> impl Iterator<Item = BlockId> {
        (0..self.nodes.len() as u32).map(BlockId)
    }

    /// The label of block `b`.
    pub fn label(&self, b: BlockId) -> Label {
        self.labels[b.index()]
    }

    /// The block called `l` (the first one, should two share it).
    pub fn block_of(&self, l: Label) -> Option<BlockId> {
        self.by_label.get(l).map(|i| BlockId(i as u32))
    }

    /// Jumps and handlers whose label no block has: where, and the label.
    pub fn dangling(&self) -> &[(Position, Label)] {
        &self.dangling
    }

    /// True when the last block can fall through past the end of the code.
    pub fn falls_off_end(&self) -> bool {
        self.falls_off_end
    }

    fn edges(&self, b: BlockId, dir: Direction) -> Vec<(BlockId, Edge)> {
        let mut out: Vec<(BlockId, Edge)> = self
            .graph
            .edges_directed(self.nodes[b.index()], dir)
            .map(|e| {
                let other = if dir == Direction::Outgoing {
                    e.target()
                } else {
                    e.source()
                };
                (self.graph[other], *e.weight())
            })
            .collect();
        out.sort_by_key(|(id, e)| (e.kind, *id, e.instr));
        out
    }

    /// Every outgoing edge of `b` with its target, sorted by kind then block.
    pub fn successors(&self, b: BlockId) -> Vec<(BlockId, Edge)> {
        self.edges(b, Direction::Outgoing)
    }

    /// Every incoming edge of `b` with its source, sorted by kind then block.
    pub fn predecessors(&self, b: BlockId) -> Vec<(BlockId, Edge)> {
        self.edges(b, Direction::Incoming)
    }

    /// The targets of `b`'s edges of kind `kind`.
    pub fn successors_of_kind(&self, b: BlockId, kind: EdgeKind) -> Vec<BlockId> {
        self.successors(b)
            .into_iter()
            .filter(|(_, e)| e.kind == kind)
            .map(|(t, _)| t)
            .collect()
    }

    /// The sources of edges of kind `kind` into `b`.
    pub fn predecessors_of_kind(&self, b: BlockId, kind: EdgeKind) -> Vec<BlockId> {
        self.predecessors(b)
            .into_iter()
            .filter(|(_, e)| e.kind == kind)
            .map(|(s, _)| s)
            .collect()
    }

    /// Which blocks the entry reaches, following edges of the given kinds
    /// (indexed by [`BlockId::index`]).
    pub fn reachable_by(&self, kinds: &[EdgeKind]) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let Some(entry) = self.entry() else {
            return seen;
        };
        let mut stack = vec![entry];
        seen[entry.index()] = true;
        while let Some(b) = stack.pop() {
            for (t, e) in self.successors(b) {
                if kinds.contains(&e.kind) && !seen[t.index()] {
                    seen[t.index()] = true;
                    stack.push(t);
                }
            }
        }
        seen
    }

    /// Which blocks the entry reaches through any edge.
    pub fn reachable(&self) -> Vec<bool> {
        self.reachable_by(&[EdgeKind::Fallthrough, EdgeKind::Jump, EdgeKind::Exception])
    }

    /// The dominator tree from the entry block, over all edge kinds.
    pub fn dominators(&self) -> Dominators {
        let n = self.nodes.len();
        let mut idom = vec![None; n];
        let reachable = self.reachable();
        if let Some(entry) = self.entry() {
            let d = petgraph::algo::dominators::simple_fast(&self.graph, self.nodes[entry.index()]);
            for b in self.blocks() {
                if b != entry && reachable[b.index()] {
                    idom[b.index()] = d
                        .immediate_dominator(self.nodes[b.index()])
                        .map(|x| self.graph[x]);
                }
            }
        }
        Dominators { idom, reachable }
    }

    /// A printable listing of the blocks with their successors.
    pub fn display<'a>(&'a self, f: &'a Function) -> CfgDisplay<'a> {
        CfgDisplay { cfg: self, f }
    }
}

/// Where a function's body starts for the first time it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyStart {
    /// The first instruction of the body, after the prologue (may be one
    /// past the end of the prologue's last block).
    pub at: Position,
    /// True when `at` is the start of a block that other blocks also reach
    /// (a loop at the top of the function): code meant to run once must go
    /// into a new block placed before it in layout, not into this block.
    pub shared: bool,
}

/// The position where the function's body starts on its first resumption,
/// i.e. just after the per-version prologue:
///
/// - 3.8, 3.9: there is no prologue; a generator's first `next()` starts at
///   instruction 0, so the body starts at block 0, instruction 0.
/// - 3.10: generators, coroutines and async generators begin with
///   `GEN_START` (which pops the value sent by the first `send`); the body
///   starts after it. Other code starts at instruction 0.
/// - 3.11+: every code object runs `MAKE_CELL`/`COPY_FREE_VARS` and, for
///   generators and coroutines, `RETURN_GENERATOR`, `POP_TOP`, then
///   `RESUME 0`; the body starts right after that first `RESUME`.
pub fn body_start(f: &Function, cfg: &Cfg) -> Result<BodyStart> {
    let t = opcodes::table(f.version).ok_or_else(|| {
        Error::new(ErrorKind::Unsupported(format!(
            "opcodes of Python {}",
            f.version
        )))
    })?;
    let first = f
        .blocks
        .iter()
        .enumerate()
        .find_map(|(bi, b)| (!b.instrs.is_empty()).then_some(bi));
    let Some(first) = first else {
        return Err(Error::new(ErrorKind::Invalid(
            "function has no instructions".into(),
        )));
    };
    // NB: RESUME exists from 3.11 and GEN_START only in 3.10.
    let at = if t.code(Opcode::Resume).is_some() {
        let found = f.blocks.iter().enumerate().find_map(|(bi, b)| {
            b.instrs
                .iter()
                .position(|i| i.op == Opcode::Resume)
                .map(|k| Position {
                    block: BlockId(bi as u32),
                    instr: k + 1,
                })
        });
        found.ok_or_else(|| {
            Error::new(ErrorKind::Invalid(
                "3.11+ code without a RESUME instruction".into(),
            ))
        })?
    } else if f.blocks[first].instrs[0].op == Opcode::GenStart {
        Position {
            block: BlockId(first as u32),
            instr: 1,
        }
    } else {
        Position {
            block: BlockId(first as u32),
            instr: 0,
        }
    };
    // NB: code inserted at the start of a block runs whenever control
    // enters it; entering by falling out of an earlier (empty) block is the
    // first run, anything else (a loop back to the top) is not.
    let shared = at.instr == 0
        && cfg
            .predecessors(at.block)
            .iter()
            .any(|(s, e)| e.kind != EdgeKind::Fallthrough || s.index() >= at.block.index());
    Ok(BodyStart { at, shared })
}

/// [`Cfg::display`]: one line per block, `L3 (b2): fallthrough L4, jump L7,
/// exception L9`, unreachable blocks marked.
pub struct CfgDisplay<'a> {
    cfg: &'a Cfg,
    f: &'a Function,
}

impl fmt::Display for CfgDisplay<'_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reach = self.cfg.reachable();
        for b in self.cfg.blocks() {
            let n = self.f.blocks.get(b.index()).map_or(0, |x| x.instrs.len());
            write!(out, "{} (b{}, {n} instr)", self.cfg.label(b), b.0)?;
            if !reach[b.index()] {
                write!(out, " unreachable")?;
            }
            write!(out, ":")?;
            let succ = self.cfg.successors(b);
            if succ.is_empty() {
                write!(out, " exit")?;
            }
            for (i, (t, e)) in succ.iter().enumerate() {
                let kind = match e.kind {
                    EdgeKind::Fallthrough => "fallthrough",
                    EdgeKind::Jump => "jump",
                    EdgeKind::Exception => "exception",
                };
                write!(
                    out,
                    "{} {kind} {}",
                    if i == 0 { "" } else { "," },
                    self.cfg.label(*t)
                )?;
            }
            writeln!(out)?;
        }
        for (p, l) in &self.cfg.dangling {
            writeln!(
                out,
                "dangling: {} instr {} -> {l}",
                self.cfg.label(p.block),
                p.instr
            )?;
        }
        if self.cfg.falls_off_end {
            writeln!(out, "falls off the end")?;
        }
        Ok(())
    }
}
