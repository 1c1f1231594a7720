//! The 3.13+ layout: line column (`--` for no line), `L<n>:` labels instead
//! of offsets, jump arguments as `to L<n>`, and an exception table in labels.

use super::args::{argrepr, jump_target};
use super::{decode, CodeView};
use crate::error::Result;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

const OPNAME_WIDTH: usize = 20;
const OPARG_WIDTH: usize = 5;
const NO_LINENO: &str = "  --";

/// Appends what `dis.disassemble(code)` prints.
pub fn disassemble(view: &CodeView, out: &mut String) -> Result<()> {
    let instrs = decode(view.table, view.co_code);
    let starts: HashMap<u32, Option<i32>> = view.line_starts()?.into_iter().collect();
    let exc = view.exception_entries()?;

    // Labels: jump targets and every exception range start, end and target,
    // numbered from 1 in offset order.
    let mut offsets: BTreeSet<i64> = instrs.iter().filter_map(|i| jump_target(view, i)).collect();
    for e in &exc {
        offsets.extend([i64::from(e.start), i64::from(e.end), i64::from(e.target)]);
    }
    let label: HashMap<i64, usize> = offsets.iter().enumerate().map(|(i, &o)| (o, i + 1)).collect();
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

    let jump_text = |t: i64| -> Result<String> {
        let n = label.get(&t).ok_or_else(|| super::invalid(format!("jump to {t} has no label")))?;
        Ok(format!("to L{n}"))
    };
    let from_text = |t: i64| -> Result<String> { Ok(format!("from L{}", label[&t])) };

    for ins in &instrs {
        let start = starts.get(&ins.offset);
        if lineno_width > 0 && start.is_some() && ins.offset > 0 {
            out.push('\n');
        }
        let mut fields: Vec<String> = Vec::with_capacity(6);
        if lineno_width > 0 {
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
        fields.push("   ".into());
        let name = ins.name();
        fields.push(format!("{name:<OPNAME_WIDTH$}"));
        if let Some(arg) = ins.arg {
            // NB: a long opcode name eats into the argument column.
            let excess = name.len().saturating_sub(OPNAME_WIDTH);
            let w = OPARG_WIDTH.saturating_sub(excess);
            fields.push(format!("{arg:>w$}"));
            let text = if ins.info.is_some_and(|i| i.op == crate::opcodes::Opcode::EndAsyncFor) {
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
    }
    if !exc.is_empty() {
        out.push_str("ExceptionTable:\n");
        for e in &exc {
            let lasti = if e.lasti { " lasti" } else { "" };
            let l = |o: u32| label[&i64::from(o)];
            let _ = writeln!(out, "  L{} to L{} -> L{} [{}]{lasti}", l(e.start), l(e.end), l(e.target), e.depth);
        }
    }
    Ok(())
}
