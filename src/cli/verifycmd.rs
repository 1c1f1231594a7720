//! `pyrewrite verify PATH`: the verifier on every code object of a file or
//! tree, changed or not; one line per problem with its location.

use super::{report, EXIT_FAILED, EXIT_OK};
use crate::pyc::Pyc;
use crate::verify::{verify_module, CodeProblem};
use crate::Error;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
struct JsonProblem {
    file: String,
    qualname: String,
    firstlineno: i32,
    offset: Option<u64>,
    invariant: &'static str,
    message: String,
}

/// Problems of one file, or why it could not be read.
fn verify_file(path: &Path) -> Result<(usize, Vec<CodeProblem>), Error> {
    report::guard(path, || {
        let p = Pyc::read_file(path)?;
        let n = p.marshal.code_objects().len();
        Ok((n, verify_module(&p.marshal)))
    })
}

/// Runs the verifier over `path` (a `.pyc` or a directory). Exit 0 when
/// every file reads and verifies, 1 otherwise.
pub fn verify(path: &Path, json: bool, quiet: bool, jobs: Option<usize>) -> i32 {
    let Some(files) = super::tree::files(path) else {
        return EXIT_FAILED;
    };
    let bar = super::rewrite::progress_bar(files.len(), quiet || json);
    let (mut code_objects, mut problems, mut bad_files, mut unreadable) = (0, 0, 0, 0);
    let mut out = Vec::new();
    let run = super::tree::in_order(
        &files,
        jobs,
        |f| verify_file(f),
        |file, r| {
            if let Some(b) = &bar {
                b.inc(1);
            }
            match r {
                Err(e) => {
                    let line = report::line(file, &e);
                    match &bar {
                        Some(b) => b.println(line),
                        None => eprintln!("{line}"),
                    }
                    unreadable += 1;
                }
                Ok((n, ps)) => {
                    code_objects += n;
                    if !ps.is_empty() {
                        bad_files += 1;
                        problems += ps.len();
                    }
                    for p in &ps {
                        if json {
                            out.push(JsonProblem {
                                file: file.display().to_string(),
                                qualname: p.qualname.clone(),
                                firstlineno: p.firstlineno,
                                offset: p.offset,
                                invariant: p.invariant.map_or("lift", |i| i.name()),
                                message: p.message.clone(),
                            });
                            continue;
                        }
                        let line = format!("{}: {p}\n", file.display());
                        match &bar {
                            Some(b) => b.suspend(|| report::emit(&line)),
                            None => report::emit(&line),
                        }
                    }
                }
            }
        },
    );
    if let Err(msg) = run {
        report::usage(&msg);
        return super::EXIT_USAGE;
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if json {
        let mut s = serde_json::to_string_pretty(&out).expect("plain structs serialise");
        s.push('\n');
        report::emit(&s);
    }
    if !quiet {
        eprintln!(
            "pyrewrite: verified {} file(s), {code_objects} code object(s): {problems} problem(s) in {bad_files} file(s){}",
            files.len(),
            if unreadable > 0 {
                format!(", {unreadable} unreadable")
            } else {
                String::new()
            }
        );
    }
    if problems + unreadable > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}
