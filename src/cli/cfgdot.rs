//! `pyrewrite cfg`: control-flow graphs as Graphviz DOT (or SVG through
//! graphviz's `dot`): one cluster per code object, one node per block
//! with its instructions (the IR text form, docs/ir.md), and edges for
//! fall-through (solid), jumps (bold blue) and exception handlers (dashed
//! red, labelled with the handler's stack depth and `lasti`).

use crate::cfg::{Cfg, EdgeKind};
use crate::code::qualnames;
use crate::ir::{self, Function};
use crate::lift;
use crate::marshal::{Marshal, ObjId, Value};
use crate::passes::params::Glob;
use crate::Error;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

/// One side of a picture: a title (`before`/`after`, or empty) and the code
/// objects to draw, lifted.
pub struct Side {
    /// Shown as the cluster prefix; empty for a single picture.
    pub title: String,
    /// `(qualname, firstlineno, function)` in `dis` order.
    pub functions: Vec<(String, i32, Function)>,
    /// The arena the functions refer to.
    pub marshal: Marshal,
}

impl Side {
    /// Lifts every code object of `m` whose qualified name matches `glob`.
    pub fn lift(title: &str, m: Marshal, glob: &Glob) -> Result<Side, Error> {
        let quals: HashMap<ObjId, String> = qualnames(&m).into_iter().collect();
        let mut functions = Vec::new();
        let mut seen = BTreeSet::new();
        for (id, _) in m.code_objects() {
            let qual = quals.get(&id).cloned().unwrap_or_else(|| "?".into());
            if !seen.insert(id) || !glob.matches(&qual) {
                continue;
            }
            let Value::Code(c) = m.get(id) else { continue };
            let line = c.firstlineno;
            let f = lift::lift(&m, id).map_err(|e| e.context(format!("lifting {qual}")))?;
            functions.push((qual, line, f));
        }
        Ok(Side {
            title: title.to_string(),
            functions,
            marshal: m,
        })
    }
}

/// A DOT string literal: quotes and backslashes escaped, lines ending in `\l` (left-aligned).
fn quote(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 8);
    s.push('"');
    for line in text.lines() {
        for c in line.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                _ => s.push(c),
            }
        }
        s.push_str("\\l");
    }
    s.push('"');
    s
}

/// The IR text of each block of `f`, in block order.
// NB: cut from the IR text form, so the picture shows exactly what
// `dis --ir` and `--dump` show.
fn block_texts(f: &Function, m: &Marshal) -> Vec<String> {
    let mut text = String::new();
    ir::write_function(f, m, &mut text);
    let mut blocks: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') {
            blocks.push(String::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    blocks
}

/// `text` with at most `max` instruction lines (0: all): the first and last
/// ones kept around an `... N more instruction(s) ...` line.
// NB: graphviz runs out of memory on a node of thousands of lines (the
// corpus has a 3.8 block of 40000 instructions).
fn elide(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if max == 0 || lines.len() <= max + 1 {
        return text.to_string();
    }
    let head = 1 + max * 2 / 3;
    let tail = max - max * 2 / 3;
    let mut out: String = lines[..head].iter().map(|l| format!("{l}\n")).collect();
    out.push_str(&format!(
        "    ... {} more instruction(s) ...\n",
        lines.len() - head - tail
    ));
    for l in &lines[lines.len() - tail..] {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The whole picture: one cluster per side and code object, blocks cut to
/// `max_lines` instructions (0: no limit).
pub fn dot(name: &str, sides: &[Side], max_lines: usize) -> Result<String, Error> {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote_plain(name));
    out.push_str("  graph [rankdir=TB, fontname=\"monospace\", newrank=true];\n");
    out.push_str("  node [shape=box, fontname=\"monospace\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"monospace\", fontsize=9];\n");
    for (si, side) in sides.iter().enumerate() {
        for (fi, (qual, line, f)) in side.functions.iter().enumerate() {
            let id = |b: usize| format!("s{si}f{fi}b{b}");
            let title = if side.title.is_empty() {
                format!("{qual} (line {line})")
            } else {
                format!("{}: {qual} (line {line})", side.title)
            };
            let _ = writeln!(out, "  subgraph cluster_s{si}f{fi} {{");
            let _ = writeln!(out, "    label={};", quote_plain(&title));
            let texts = block_texts(f, &side.marshal);
            for (b, text) in texts.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "    {} [label={}];",
                    id(b),
                    quote(&elide(text, max_lines))
                );
            }
            if f.blocks.is_empty() {
                let _ = writeln!(out, "    {} [label=\"(no blocks)\"];", id(0));
            }
            out.push_str("  }\n");
            let g = Cfg::new(f).map_err(|e| e.context(format!("control-flow graph of {qual}")))?;
            let mut drawn = BTreeSet::new();
            for b in g.blocks() {
                for (to, e) in g.successors(b) {
                    let attrs = match e.kind {
                        EdgeKind::Fallthrough => String::new(),
                        EdgeKind::Jump => " [color=blue, style=bold]".to_string(),
                        EdgeKind::Exception => {
                            let h = f.blocks[b.index()]
                                .instrs
                                .get(e.instr)
                                .and_then(|i| i.handler);
                            let label = match h {
                                Some(h) => format!(
                                    "exc [{}]{}",
                                    h.depth,
                                    if h.lasti { " lasti" } else { "" }
                                ),
                                None => "exc".to_string(),
                            };
                            format!(" [color=red, style=dashed, label={}]", quote_plain(&label))
                        }
                    };
                    if drawn.insert((b.index(), to.index(), e.kind, attrs.clone())) {
                        let _ = writeln!(out, "  {} -> {}{attrs};", id(b.index()), id(to.index()));
                    }
                }
            }
        }
    }
    out.push_str("}\n");
    Ok(out)
}

/// A one-line DOT string literal.
fn quote_plain(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Runs graphviz's `dot -Tsvg` over `dot_text`.
pub fn svg(dot_text: &str) -> Result<String, String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| {
        format!(
            "--format svg needs graphviz's `dot` ({e}): install graphviz (Debian/Ubuntu: apt-get install graphviz; \
             macOS: brew install graphviz), or use --format dot and render elsewhere"
        )
    })?;
    let mut stdin = child.stdin.take().expect("piped");
    // NB: write from another thread: dot may fill its stdout pipe before reading all input.
    let input = dot_text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| format!("dot: {e}"))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!(
            "dot rejected the graph: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("dot: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_blocks_are_cut() {
        let text: String = std::iter::once("L0:\n".to_string())
            .chain((0..100).map(|i| format!("    NOP {i}\n")))
            .collect();
        let cut = elide(&text, 9);
        assert_eq!(cut.lines().count(), 11);
        assert!(
            cut.starts_with("L0:\n    NOP 0\n") && cut.ends_with("    NOP 99\n"),
            "{cut}"
        );
        assert!(cut.contains("... 91 more instruction(s) ..."), "{cut}");
        assert_eq!(elide(&text, 0), text);
        assert_eq!(elide(&text, 100), text);
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\ld\\l\"");
    }
}
