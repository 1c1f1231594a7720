//! The 3.13+ layout: line column (`--` for no line), `L<n>:` labels instead
//! of offsets, jump arguments as `to L<n>`, and an exception table in labels.

use super::args::{argrepr, jump_target};
use super::{caches, decode, CodeView, Options};
use crate::error::Result;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

const OPNAME_WIDTH: usize = 20;
const OPARG_WIDTH: usize = 5;
const NO_LINENO: &str = "  --";

/// Appends what `dis.disassemble(code)` prints.
pub fn disassemble(view: &CodeView, opts: Options, out: &mut String) -> Result<()> {
    let instrs = decode(view.table, view.co_code);
    let starts: HashMap<u32, Option<i32>> = view.line_starts()?.into_iter().collect();
    let exc = view.exception_entries()?;

    // Labels: jump targets and every exception range start, end and target,
    // numbered from 1 in offset order.
    let mut offsets: BTreeSet<i64> = instrs.iter().filter_map(|i| jump_target(view, i)).collect();
    for e in &exc {
        offsets.extend([i64::from(e.start), i64::from(e.end), i64::from(e.target)]);
    }
    let label: HashMap<i64, usize> = offsets
        .iter()
        .enumerate()
        .map(|(i, &o)| (o, i + 1))
        .collect();
    let label_width = 4 + label.len().to_string().len();

    // NB: dis filters line numbers with filter(None, ...), which drops 0 too.
    let max = starts.values().filter_map(|l| *l).filter(|&l| l != 0).max();
    let lineno_width = match max {
        None => 0,
        Some(m) => {
            let w = m.to_string().len().max(3);
            if w < NO_LINENO.len() && starts.values().any(|l| l.is_none()) {
                NO_LINENO.len()
            } else {
                w
            }
        }
    };
    let positions = if opts.show_positions {
        view.positions()?
    } else {
        Vec::new()
    };
    let lineno_width = if opts.show_positions {
        positions_width(&positions)
    } else {
        lineno_width
    };
    let position_field = |offset: u32| -> String {
        let p = positions
            .get(offset as usize / 2)
            .copied()
            .unwrap_or(super::NO_POSITION);
        let text = if [p.line, p.end_line, p.col, p.end_col]
            .iter()
            .all(Option::is_none)
        {
            NO_LINENO.to_string()
        } else {
            let o = |x: Option<i32>| x.map_or("?".to_string(), |v| v.to_string());
            format!(
                "{}:{}-{}:{}",
                o(p.line),
                o(p.col),
                o(p.end_line),
                o(p.end_col)
            )
        };
        format!("{text:<lineno_width$}")
    };

    // NB: `-O`: wide enough for the last offset, at least 4 digits.
    let offset_width = if opts.show_offsets {
        (view.co_code.len() as i64 - 2).max(9999).to_string().len()
    } else {
        0
    };
    let offset_field = |o: u32| format!("{o:>offset_width$}  ");

    let jump_text = |t: i64| -> Result<String> {
        let n = label
            .get(&t)
            .ok_or_else(|| super::invalid(format!("jump to {t} has no label")))?;
        Ok(format!("to L{n}"))
    };
    let from_text = |t: i64| -> Result<String> { Ok(format!("from L{}", label[&t])) };

    for ins in &instrs {
        let start = starts.get(&ins.offset);
        if lineno_width > 0 && start.is_some() && ins.offset > 0 {
            out.push('\n');
        }
        let mut fields: Vec<String> = Vec::with_capacity(6);
        if lineno_width > 0 && opts.show_positions {
            fields.push(position_field(ins.offset));
        } else if lineno_width > 0 {
            fields.push(match start {
                Some(Some(l)) => format!("{l:>lineno_width$}"),
                Some(None) => format!("{NO_LINENO:>lineno_width$}"),
                None => " ".repeat(lineno_width),
            });
        }
        fields.push(match label.get(&i64::from(ins.offset)) {
            Some(n) => format!("{:>label_width$}", format!("L{n}:")),
            None => " ".repeat(label_width),
        });
        if offset_width > 0 {
            fields.push(offset_field(ins.offset));
        }
        fields.push("   ".into());
        let name = ins.name();
        fields.push(format!("{name:<OPNAME_WIDTH$}"));
        if let Some(arg) = ins.arg {
            // NB: a long opcode name eats into the argument column.
            let excess = name.len().saturating_sub(OPNAME_WIDTH);
            let w = OPARG_WIDTH.saturating_sub(excess);
            fields.push(format!("{arg:>w$}"));
            let text = if ins
                .info
                .is_some_and(|i| i.op == crate::opcodes::Opcode::EndAsyncFor)
            {
                argrepr(view, ins, &from_text)?
            } else {
                argrepr(view, ins, &jump_text)?
            };
            if !text.is_empty() {
                fields.push(format!("({text})"));
            }
        }
        out.push_str(fields.join(" ").trim_end());
        out.push('\n');
        if opts.show_caches {
            // NB: a cache line starts no source line and has no label.
            for (offset, repr) in caches::lines(view, ins) {
                let mut fields: Vec<String> = Vec::with_capacity(7);
                // NB: a cache line shows its instruction's position.
                if lineno_width > 0 && opts.show_positions {
                    fields.push(position_field(ins.offset));
                } else if lineno_width > 0 {
                    fields.push(" ".repeat(lineno_width));
                }
                fields.push(" ".repeat(label_width));
                if offset_width > 0 {
                    fields.push(offset_field(offset));
                }
                fields.extend([
                    "   ".to_string(),
                    format!("{:<OPNAME_WIDTH$}", "CACHE"),
                    format!("{:>OPARG_WIDTH$}", 0),
                ]);
                if !repr.is_empty() {
                    fields.push(format!("({repr})"));
                }
                out.push_str(fields.join(" ").trim_end());
                out.push('\n');
            }
        }
    }
    if !exc.is_empty() {
        out.push_str("ExceptionTable:\n");
        for e in &exc {
            let lasti = if e.lasti { " lasti" } else { "" };
            let l = |o: u32| label[&i64::from(o)];
            let _ = writeln!(
                out,
                "  L{} to L{} -> L{} [{}]{lasti}",
                l(e.start),
                l(e.end),
                l(e.target),
                e.depth
            );
        }
    }
    Ok(())
}

/// 3.14's `_get_positions_width`: room for the widest `L:C-EL:EC` plus a
/// space, at least `--` plus a space; 0 when no unit has any position.
fn positions_width(positions: &[crate::locations::Position]) -> usize {
    let mut has_value = false;
    let mut values = 0;
    for p in positions {
        let parts = [p.line, p.end_line, p.col, p.end_col];
        has_value |= parts.iter().any(Option::is_some);
        values = values.max(
            parts
                .iter()
                .map(|x| x.map_or(1, |v| v.to_string().len()))
                .sum(),
        );
    }
    if has_value {
        1 + NO_LINENO.len().max(3 + values)
    } else {
        0
    }
}
