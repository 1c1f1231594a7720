//! The 3.8..3.12 layout: line column, `>>` on jump targets, byte offsets,
//! and (3.11+) the `ExceptionTable:` section with byte offsets.

use super::args::{argrepr, jump_target};
use super::{caches, decode, CodeView, Options};
use crate::error::Result;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

const OPNAME_WIDTH: usize = 20;
const OPARG_WIDTH: usize = 5;

/// Appends what `dis.disassemble(code)` prints.
pub fn disassemble(view: &CodeView, opts: Options, out: &mut String) -> Result<()> {
    let v = view.table.version;
    let instrs = decode(view.table, view.co_code);
    let starts: HashMap<u32, i32> = view
        .line_starts()?
        .into_iter()
        .filter_map(|(o, l)| l.map(|l| (o, l)))
        .collect();
    let exc = if v.localsplus_layout() {
        view.exception_entries()?
    } else {
        Vec::new()
    };

    // Jump targets (`findlabels`) plus, from 3.11, exception handlers.
    let mut targets: HashSet<i64> = instrs.iter().filter_map(|i| jump_target(view, i)).collect();
    // NB: dis adds a handler while looping over its range, so an empty range adds nothing.
    targets.extend(
        exc.iter()
            .filter(|e| e.end > e.start)
            .map(|e| i64::from(e.target)),
    );

    // NB: 3.8/3.9 always show the line column; 3.10+ only when some
    // instruction starts a line.
    let show_lineno = v.lnotab() || !starts.is_empty();
    let lineno_width = if show_lineno {
        let max = starts.values().copied().max().unwrap_or(0);
        if max >= 1000 {
            max.to_string().len()
        } else {
            3
        }
    } else {
        0
    };
    let maxoffset = view.co_code.len() as i64 - 2;
    let offset_width = if maxoffset >= 10000 {
        maxoffset.to_string().len()
    } else {
        4
    };

    for ins in &instrs {
        let line = starts.get(&ins.offset).copied();
        if show_lineno && line.is_some() && ins.offset > 0 {
            out.push('\n');
        }
        let mut fields: Vec<String> = Vec::with_capacity(6);
        if lineno_width > 0 {
            fields.push(match line {
                Some(l) => format!("{l:>lineno_width$}"),
                None => " ".repeat(lineno_width),
            });
        }
        fields.push("   ".into());
        fields.push(
            if targets.contains(&i64::from(ins.offset)) {
                ">>"
            } else {
                "  "
            }
            .into(),
        );
        fields.push(format!("{:>offset_width$}", ins.offset));
        fields.push(format!("{:<OPNAME_WIDTH$}", ins.name()));
        if let Some(arg) = ins.arg {
            fields.push(format!("{arg:>OPARG_WIDTH$}"));
            let text = argrepr(view, ins, &|t| Ok(format!("to {t}")))?;
            if !text.is_empty() {
                fields.push(format!("({text})"));
            }
        }
        out.push_str(fields.join(" ").trim_end());
        out.push('\n');
        if opts.show_caches {
            // NB: a cache line starts no source line and is no jump target.
            for (offset, repr) in caches::lines(view, ins) {
                let mut fields: Vec<String> = Vec::with_capacity(6);
                if lineno_width > 0 {
                    fields.push(" ".repeat(lineno_width));
                }
                fields.extend([
                    "   ".to_string(),
                    "  ".to_string(),
                    format!("{offset:>offset_width$}"),
                    format!("{:<OPNAME_WIDTH$}", "CACHE"),
                ]);
                fields.push(format!("{:>OPARG_WIDTH$}", 0));
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
            let _ = writeln!(
                out,
                "  {} to {} -> {} [{}]{lasti}",
                e.start,
                e.end as i64 - 2,
                e.target,
                e.depth
            );
        }
    }
    Ok(())
}
