//! Line and exception tables from per-instruction locations and handlers,
//! encoded the way each version's CPython assembler writes them.

use crate::error::Result;
use crate::exctable::{self, ExcEntry};
use crate::ir::{Function, Label, Loc};
use crate::locations::{self, locations311, LocEntry};

/// The line table of `f` (`co_lnotab` on 3.8/3.9, `co_linetable` after),
/// given each instruction's byte span, grouped as each assembler groups:
/// 3.8/3.9 open a record where the line changes or `starts_line` is set;
/// 3.10 where the line changes; 3.11 writes one record per instruction;
/// 3.12+ where the location changes.
pub fn line_table(f: &Function, spans: &[(u32, u32)]) -> Result<Vec<u8>> {
    let v = f.version;
    if v.localsplus_layout() {
        return location_table(f, spans);
    }
    // 3.8-3.10: lines only.
    let mut entries: Vec<LocEntry> = Vec::with_capacity(spans.len());
    let mut last_line = Some(f.firstlineno);
    for (ins, &(start, end)) in f.instrs().zip(spans) {
        let mut loc = Loc {
            line: ins.loc.line,
            ..Loc::default()
        };
        if v.lnotab() && loc.line.is_none() {
            // NB: 3.8/3.9 tables cannot say "no line": keep the previous one.
            loc.line = last_line;
        }
        last_line = loc.line.or(last_line);
        let ghosts = ins.ghosts.and_then(|g| f.ghost_lines.get(g.0 as usize));
        for &g in ghosts.into_iter().flatten() {
            entries.push(LocEntry::line_only(start, start, Some(g)));
        }
        let e = LocEntry {
            start,
            end,
            line: loc.line,
            end_line: loc.end_line,
            col: loc.col,
            end_col: loc.end_col,
        };
        let merge = !(ins.starts_line && v.lnotab());
        match entries.last_mut() {
            Some(p)
                if merge
                    && ghosts.is_none()
                    && (p.line, p.end_line, p.col, p.end_col)
                        == (e.line, e.end_line, e.col, e.end_col) =>
            {
                p.end = end
            }
            _ => entries.push(e),
        }
    }
    let end = spans.last().map_or(0, |s| s.1);
    for &g in f
        .end_ghosts
        .and_then(|g| f.ghost_lines.get(g.0 as usize))
        .into_iter()
        .flatten()
    {
        entries.push(LocEntry::line_only(end, end, Some(g)));
    }
    locations::encode(v, &entries, f.firstlineno)
}

/// [`line_table`] for 3.11+: no ghost lines or line-only rules, so the
/// records are encoded as they are found, with no list of entries.
fn location_table(f: &Function, spans: &[(u32, u32)]) -> Result<Vec<u8>> {
    let v = f.version;
    let mut enc = locations311::Encoder::new(v, f.firstlineno, spans.len());
    // NB: 3.11 writes one record per instruction, 3.12+ one per run of equal locations.
    let merge = v.at_least(12);
    let mut open: Option<LocEntry> = None;
    for (ins, &(start, end)) in f.instrs().zip(spans) {
        let l = ins.loc;
        if let Some(p) = open.as_mut() {
            if merge
                && (p.line, p.end_line, p.col, p.end_col) == (l.line, l.end_line, l.col, l.end_col)
            {
                p.end = end;
                continue;
            }
            enc.push(p)?;
        }
        open = Some(LocEntry {
            start,
            end,
            line: l.line,
            end_line: l.end_line,
            col: l.col,
            end_col: l.end_col,
        });
    }
    if let Some(p) = open {
        enc.push(&p)?;
    }
    Ok(enc.finish())
}

/// The exception table of `f` (empty before 3.11): one entry per run of
/// neighbouring instructions with the same handler. `offset_of` gives a
/// handler label's byte offset.
pub fn exception_table(
    f: &Function,
    spans: &[(u32, u32)],
    offset_of: &dyn Fn(Label) -> Result<u32>,
) -> Result<Vec<u8>> {
    if !f.version.localsplus_layout() {
        return Ok(Vec::new());
    }
    let mut entries: Vec<(ExcEntry, Label)> = Vec::new();
    let mut prev = None;
    for (ins, &(start, end)) in f.instrs().zip(spans) {
        if let Some(h) = ins.handler {
            if prev == Some(h) {
                entries.last_mut().expect("a run is open").0.end = end;
            } else {
                let e = ExcEntry {
                    start,
                    end,
                    target: 0,
                    depth: h.depth,
                    lasti: h.lasti,
                };
                entries.push((e, h.target));
            }
        }
        prev = ins.handler;
    }
    let mut out = Vec::with_capacity(entries.len());
    for (mut e, l) in entries {
        e.target = offset_of(l)?;
        out.push(e);
    }
    exctable::encode(&out)
}
