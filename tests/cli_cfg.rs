//! `pyrewrite cfg`: DOT for every code object of the corpus on every
//! version (graphviz must accept it where `dot` is installed; skipped with a
//! note where it is not), edges that match the IR, before/after pictures,
//! and a clear error for SVG without graphviz.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn corpus_files(v: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root().join("corpus/pyc").join(v))
        .into_iter()
        .flatten()
        .filter(|e| {
            e.path().extension().is_some_and(|x| x == "pyc")
                && !e.path().to_string_lossy().contains("_headers")
        })
        .map(|e| e.path().to_path_buf())
        .collect();
    out.sort();
    out
}

/// Node ids declared and `a -> b` edges of a DOT text; every edge's ends are declared.
fn check_structure(dot: &str, what: &str) -> (usize, Vec<(String, String, String)>) {
    assert!(
        dot.starts_with("digraph \"") && dot.ends_with("}\n"),
        "{what}"
    );
    let nodes: HashSet<&str> = dot
        .lines()
        .filter_map(|l| l.trim().split_once(" [label=").map(|(id, _)| id))
        .collect();
    let mut edges = Vec::new();
    for l in dot.lines().filter(|l| {
        l.trim()
            .split_once(' ')
            .is_some_and(|(_, rest)| rest.starts_with("-> "))
    }) {
        let (a, rest) = l.trim().split_once(" -> ").unwrap();
        let (b, attrs) = rest
            .trim_end_matches(';')
            .split_once(' ')
            .unwrap_or((rest.trim_end_matches(';'), ""));
        assert!(
            nodes.contains(a) && nodes.contains(b),
            "{what}: edge {l} between undeclared nodes"
        );
        edges.push((a.to_string(), b.to_string(), attrs.to_string()));
    }
    (nodes.len(), edges)
}

/// Feeds all `graphs` to one `dot -Tsvg` run; `None` when dot is not installed.
fn graphviz(graphs: &str) -> Option<Output> {
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return None,
    };
    let mut stdin = child.stdin.take().unwrap();
    let input = graphs.to_string();
    let w = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    w.join().unwrap().unwrap();
    Some(out)
}

#[test]
fn every_corpus_code_object_gives_dot_graphviz_accepts() {
    let mut have_dot = true;
    let mut total_blocks = 0;
    for v in ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"] {
        let files = corpus_files(v);
        assert!(!files.is_empty(), "no corpus for {v}");
        let mut all = String::new();
        for f in &files {
            let dot = stdout(&run(&["cfg", f.to_str().unwrap()]));
            // One node per IR block: the same count as `dis --ir` prints labels.
            let ir = stdout(&run(&["dis", "--ir", f.to_str().unwrap()]));
            let labels = ir
                .lines()
                .filter(|l| l.starts_with('L') && l.ends_with(':'))
                .count();
            let codes = ir.lines().filter(|l| l.starts_with("code ")).count();
            let (nodes, _) = check_structure(&dot, &f.display().to_string());
            let clusters = dot.matches("subgraph cluster_").count();
            assert_eq!(
                clusters,
                codes,
                "{}: one cluster per code object",
                f.display()
            );
            assert!(
                nodes >= labels && nodes <= labels + codes,
                "{}: {nodes} nodes for {labels} blocks",
                f.display()
            );
            total_blocks += labels;
            all.push_str(&dot);
        }
        if have_dot {
            match graphviz(&all) {
                None => {
                    eprintln!("note: graphviz `dot` not installed: the DOT of the corpus is checked for structure only (apt-get install graphviz)");
                    have_dot = false;
                }
                Some(o) => {
                    let err = String::from_utf8_lossy(&o.stderr);
                    assert!(
                        o.status.success() && err.trim().is_empty(),
                        "{v}: graphviz refused or warned: {err}"
                    );
                }
            }
        }
    }
    assert!(total_blocks > 1000, "{total_blocks}");
}

#[test]
fn edges_follow_the_code() {
    // small_loop: `for i in range(7): total += i * 3`.
    for v in ["3.8", "3.11", "3.12", "3.13"] {
        let f = format!("corpus/pyc/{v}/passes/consts.pyc");
        let dot = stdout(&run(&["cfg", "--qualname", "small_loop", &f]));
        let (_, edges) = check_structure(&dot, &f);
        let jumps: Vec<_> = edges
            .iter()
            .filter(|e| e.2.contains("color=blue"))
            .collect();
        // The loop's back edge and its exit: at least one jump goes backwards.
        let num = |id: &str| id.rsplit('b').next().unwrap().parse::<usize>().unwrap();
        assert!(
            jumps.iter().any(|e| num(&e.1) < num(&e.0)),
            "{v}: no back edge in\n{dot}"
        );
        assert!(edges.iter().any(|e| e.2.is_empty()), "{v}: no fall-through");
    }
    // Exception edges carry the handler depth on 3.11+.
    let dot = stdout(&run(&[
        "cfg",
        "--qualname",
        "name_unbound_after_except",
        "corpus/pyc/3.12/exceptions.pyc",
    ]));
    assert!(
        dot.contains("[color=red, style=dashed, label=\"exc [1] lasti\"]"),
        "{dot}"
    );
    assert!(
        dot.contains("[color=red, style=dashed, label=\"exc [0]\"]"),
        "{dot}"
    );
}

#[test]
fn before_and_after_a_pass_side_by_side() {
    let dot = stdout(&run(&[
        "cfg",
        "--qualname",
        "small_loop",
        "--pass",
        "inject-hook",
        "--param",
        "hook=pyrewrite_hook_print:hook",
        "corpus/pyc/3.12/passes/consts.pyc",
    ]));
    assert!(
        dot.contains("label=\"before: small_loop (line 22)\""),
        "{dot}"
    );
    assert!(
        dot.contains("label=\"after: small_loop (line 22)\""),
        "{dot}"
    );
    let (before, after) = dot.split_once("after: small_loop").unwrap();
    assert!(
        !before.contains("__pyrewrite_hook__") && after.contains("__pyrewrite_hook__"),
        "{dot}"
    );
}

#[test]
fn svg_without_graphviz_says_how_to_install_it() {
    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args([
            "cfg",
            "--format",
            "svg",
            "corpus/pyc/3.12/passes/consts.pyc",
        ])
        .current_dir(root())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("install graphviz") && err.contains("--format dot"),
        "{err}"
    );
    if Path::new("/usr/bin/dot").exists() || Command::new("dot").arg("-V").output().is_ok() {
        let o = run(&[
            "cfg",
            "--format",
            "svg",
            "--qualname",
            "small_loop",
            "corpus/pyc/3.12/passes/consts.pyc",
        ]);
        let svg = stdout(&o);
        assert!(svg.contains("<svg") && svg.contains("FOR_ITER"), "{svg}");
    } else {
        eprintln!("note: graphviz `dot` not installed: SVG rendering not tested");
    }
}
