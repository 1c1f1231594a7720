//! The inspection subcommands: `info`, `dis` (and `dis --ir`), `diff`, `passes`.

use super::{cfgdot, disdiff, passes, report, CfgFormat, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::code::qualnames;
use crate::inspect::{diff::FileDiff, info::FileInfo, instr};
use crate::marshal::{Marshal, ObjId, Value};
use crate::passes::params::Glob;
use crate::pyc::Pyc;
use crate::Error;
use crate::{ir, lift};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

fn read(path: &Path) -> Result<Pyc, Error> {
    report::guard(path, || Pyc::read_file(path))
}

/// Prints a command's text and exits 0, or reports its located error and exits 1.
fn emit_or_report(path: &Path, r: Result<String, Error>) -> i32 {
    match r {
        Ok(text) => {
            report::emit(&text);
            EXIT_OK
        }
        Err(e) => {
            report::error(path, &e);
            EXIT_FAILED
        }
    }
}

fn to_json(v: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("plain structs serialise");
    s.push('\n');
    s
}

/// `pyrewrite info PATH [--json]`: a file, or every `.pyc` of a directory
/// (text: one block per file; `--json`: an array).
pub fn info(path: &Path, json: bool, jobs: Option<usize>) -> i32 {
    #[derive(Serialize)]
    struct Out<'a> {
        file: String,
        #[serde(flatten)]
        info: &'a FileInfo,
    }
    let one = |file: &Path| {
        read(file)
            .and_then(|p| report::guard(file, || FileInfo::of(&p)))
            .map(|info| {
                if json {
                    to_json(&Out {
                        file: file.display().to_string(),
                        info: &info,
                    })
                } else {
                    format!("file:         {}\n{}", file.display(), info.to_text())
                }
            })
    };
    if !path.is_dir() {
        return emit_or_report(path, one(path));
    }
    over_tree(path, jobs, json, one, |_, text| text)
}

/// Runs `one` over every `.pyc` of the directory `path` and prints the
/// results in path order: text as `shape(file, text)` with a blank line
/// between files, JSON as one array. Exit 1 when a file failed.
fn over_tree(
    path: &Path,
    jobs: Option<usize>,
    json: bool,
    one: impl Fn(&Path) -> Result<String, Error> + Sync,
    shape: impl Fn(&Path, String) -> String,
) -> i32 {
    let Some(files) = super::tree::files(path) else {
        return EXIT_FAILED;
    };
    let (mut failed, mut first) = (false, true);
    if json {
        report::emit("[");
    }
    let run = super::tree::in_order(
        &files,
        jobs,
        |f| one(f),
        |file, r| match r {
            Ok(text) => {
                let sep = if first {
                    ""
                } else if json {
                    ","
                } else {
                    "\n"
                };
                first = false;
                if json {
                    report::emit(&format!(
                        "{sep}\n  {}",
                        text.trim_end().replace('\n', "\n  ")
                    ));
                } else {
                    report::emit(&format!("{sep}{}", shape(file, text)));
                }
            }
            Err(e) => {
                report::error(file, &e);
                failed = true;
            }
        },
    );
    if let Err(msg) = run {
        report::usage(&msg);
        return super::EXIT_USAGE;
    }
    if json {
        report::emit(if first { "]\n" } else { "\n]\n" });
    }
    if failed {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// What `pyrewrite dis` prints.
#[derive(Clone, Copy, Debug, Default)]
pub struct DisOptions<'a> {
    /// `--json`.
    pub json: bool,
    /// `--ir`.
    pub ir: bool,
    /// `--qualname GLOB`: only matching code objects, each without recursion.
    pub qualname: Option<&'a str>,
    /// `--show-caches`, `--show-offsets`.
    pub show: crate::dis::Options,
    /// `--jobs` (a directory).
    pub jobs: Option<usize>,
}

/// `pyrewrite dis PATH [--json] [--ir] [--qualname GLOB]`: a file, or
/// every `.pyc` of a directory (each under a `# FILE` line; `--json`: an array).
pub fn dis(path: &Path, opts: DisOptions<'_>) -> i32 {
    if !path.is_dir() {
        return emit_or_report(path, dis_file(path, opts));
    }
    over_tree(
        path,
        opts.jobs,
        opts.json,
        |file| dis_file(file, opts),
        |file, text| format!("# {}\n{text}", file.display()),
    )
}

fn dis_file(path: &Path, opts: DisOptions<'_>) -> Result<String, Error> {
    #[derive(Serialize)]
    struct Out {
        file: String,
        version: String,
        code_objects: Vec<instr::CodeInstructions>,
    }
    let p = read(path)?;
    if opts.show.show_positions && !p.version().at_least(13) {
        // NB: 3.11/3.12 have the positions but not the label layout 3.14's
        // -P prints them in; no CPython shows them in the offset layout.
        return Err(Error::new(crate::ErrorKind::Unsupported(format!(
            "--show-positions on Python {} (the layout it follows is 3.13+; `dis --ir` shows positions for 3.11+)",
            p.version()
        ))));
    }
    let glob = opts.qualname.map(Glob::new);
    report::guard(path, || {
        if opts.ir {
            return ir_text(&p.marshal, glob.as_ref());
        }
        if opts.json {
            let mut code_objects = instr::instructions(&p.marshal)?;
            if let Some(g) = &glob {
                code_objects.retain(|c| g.matches(&c.qualname));
            }
            let out = Out {
                file: path.display().to_string(),
                version: p.version().to_string(),
                code_objects,
            };
            return Ok(to_json(&out));
        }
        match &glob {
            None => crate::dis::dis_module_with(&p.marshal, opts.show),
            Some(g) => dis_selected(&p.marshal, g, opts.show),
        }
    })
}

/// `dis --qualname`: each matching code object as `dis.dis` shows a
/// nested one (`Disassembly of <code object ...>:` and its own lines only).
fn dis_selected(m: &Marshal, glob: &Glob, show: crate::dis::Options) -> Result<String, Error> {
    let quals: HashMap<ObjId, String> = qualnames(m).into_iter().collect();
    let mut out = String::new();
    for (id, _) in m.code_objects() {
        if !quals.get(&id).is_some_and(|q| glob.matches(q)) {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Disassembly of ");
        crate::pyrepr::write_repr(m, id, &mut out);
        out.push_str(":\n");
        out.push_str(&crate::dis::disassemble_with(m, id, show)?);
    }
    Ok(out)
}

/// One `code QUALNAME (line N):` header and the IR text per code object,
/// depth first in `co_consts` order (the order `dis` recurses in).
/// Before 3.11 the qualname is computed from the nesting
/// ([`crate::code::qualnames`]).
fn ir_text(m: &Marshal, glob: Option<&Glob>) -> Result<String, Error> {
    let quals: HashMap<ObjId, String> = qualnames(m).into_iter().collect();
    let mut out = String::new();
    for (id, _) in m.code_objects() {
        let Value::Code(c) = m.get(id) else { continue };
        let qual = quals.get(&id).map_or("?", String::as_str);
        if glob.is_some_and(|g| !g.matches(qual)) {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("code {qual} (line {}):\n", c.firstlineno));
        let f = lift::lift(m, id)?;
        ir::write_function(&f, m, &mut out);
    }
    Ok(out)
}

/// `pyrewrite diff A B`: 0 identical, 1 different, 2 error (as diff(1)).
pub fn diff(a: &Path, b: &Path, json: bool, all: bool, ignore_header: bool) -> i32 {
    let (pa, pb) = match (read(a), read(b)) {
        (Ok(pa), Ok(pb)) => (pa, pb),
        (ra, rb) => {
            if let Err(e) = ra {
                report::error(a, &e);
            }
            if let Err(e) = rb {
                report::error(b, &e);
            }
            return EXIT_USAGE;
        }
    };
    let d = match report::guard(a, || FileDiff::of(&pa, &pb)) {
        Ok(d) => d,
        Err(e) => {
            report::error(a, &e);
            return EXIT_USAGE;
        }
    };
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            a: String,
            b: String,
            #[serde(flatten)]
            diff: &'a FileDiff,
        }
        report::emit(&to_json(&Out {
            a: a.display().to_string(),
            b: b.display().to_string(),
            diff: &d,
        }));
    } else {
        // NB: the disassembly hunks come first, so `patch` and `delta` read
        // the output; the attribute report after them is trailing text to both.
        let dis_of = |p: &Pyc| {
            crate::dis::dis_module(&p.marshal)
                .unwrap_or_else(|e| format!("(cannot disassemble: {e})\n"))
        };
        let (na, nb) = (a.display().to_string(), b.display().to_string());
        report::emit(&disdiff::unified(&dis_of(&pa), &dis_of(&pb), &na, &nb));
        let attrs = d.to_text(&na, &nb, all, ignore_header);
        // NB: the report's own ---/+++ lines would read as a second file header.
        let attrs: String = attrs
            .lines()
            .filter(|l| !l.starts_with("--- ") && !l.starts_with("+++ "))
            .map(|l| format!("{l}\n"))
            .collect();
        report::emit(&attrs);
    }
    let same = if ignore_header {
        d.code_identical
    } else {
        d.identical
    };
    if same {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// `pyrewrite cfg FILE [--qualname GLOB] [--format dot|svg] [--pass NAME ...]`.
pub fn cfg(
    path: &Path,
    qualname: &str,
    format: CfgFormat,
    max_lines: usize,
    passes: (Option<&Path>, &[String], &[String]),
) -> i32 {
    let (config, names, params) = passes;
    let pipeline = if config.is_some() || !names.is_empty() {
        match crate::passes::config::pipeline(config, names, params) {
            Ok(p) => Some(p),
            Err(msg) => {
                report::usage(&msg.to_string());
                return EXIT_USAGE;
            }
        }
    } else {
        None
    };
    let glob = Glob::new(qualname);
    let r = read(path).and_then(|p| {
        report::guard(path, || {
            let sides = match &pipeline {
                None => vec![cfgdot::Side::lift("", p.marshal, &glob)?],
                Some(pl) => {
                    let mut after = p.marshal.clone();
                    pl.run_marshal(&mut after, None)?;
                    vec![
                        cfgdot::Side::lift("before", p.marshal, &glob)?,
                        cfgdot::Side::lift("after", after, &glob)?,
                    ]
                }
            };
            cfgdot::dot(&path.display().to_string(), &sides, max_lines)
        })
    });
    let r = match (r, format) {
        (Ok(dot), CfgFormat::Svg) => match cfgdot::svg(&dot) {
            Ok(svg) => Ok(svg),
            Err(msg) => {
                report::usage(&msg);
                return EXIT_FAILED;
            }
        },
        (r, _) => r,
    };
    emit_or_report(path, r)
}

/// `pyrewrite passes`.
pub fn passes() -> i32 {
    // NB: names, parameters and docs come from the library registry (crate::passes).
    for p in passes::PASSES {
        report::emit(&format!("{}\n", p.describe()));
    }
    EXIT_OK
}
