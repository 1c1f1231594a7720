//! A new user's flow, end to end: compile an app with `compileall`,
//! instrument it with inject-hook, run it with `PYTHONPATH=OUT`, see the
//! hook fire. The shell recipes of docs/cli.md's "Running rewritten code"
//! section are what runs, on 3.8, 3.12 and 3.13 (skipped, with a note,
//! where the interpreter is missing; CI requires them all).

use pyrewrite::oracle::{self, Interpreter, InterpreterKind};
use pyrewrite::PyVersion;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

/// The ```sh blocks of a Markdown section (from its `## TITLE` line to the next `## `).
fn sh_blocks(doc: &str, title: &str) -> Vec<String> {
    let start = doc
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title:?}"));
    let body = &doc[start + 1..];
    let body = &body[..body[3..].find("\n## ").map_or(body.len(), |i| i + 3)];
    body.split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or("").to_string())
        .collect()
}

/// A directory with `python3` (the interpreter) and `pyrewrite` (this build), to put first on PATH.
fn bin_dir(interp: &Interpreter, dir: &Path) -> PathBuf {
    let InterpreterKind::Native(exe) = &interp.kind else {
        panic!("{} is not a native interpreter", interp.describe())
    };
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(exe, bin.join("python3")).unwrap();
    std::os::unix::fs::symlink(BIN, bin.join("pyrewrite")).unwrap();
    bin
}

/// Runs `script` with bash -e in a fresh directory holding tools/hook; returns stdout and stderr.
fn run_recipe(interp: &Interpreter, script: &str) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let hooks = tmp.path().join("tools/hook");
    std::fs::create_dir_all(&hooks).unwrap();
    let src = oracle::repo_root().join("tools/hook/pyrewrite_hook_print.py");
    std::fs::copy(&src, hooks.join("pyrewrite_hook_print.py")).unwrap();
    let bin = bin_dir(interp, tmp.path());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .current_dir(tmp.path())
        .env("PATH", path)
        .env_remove("PYTHONPATH")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "recipe failed on {}:\n{script}\nstdout:\n{so}\nstderr:\n{se}",
        interp.describe()
    );
    (so, se)
}

#[test]
fn documented_recipes_run_the_rewritten_code() {
    let doc = std::fs::read_to_string(oracle::repo_root().join("docs/cli.md")).unwrap();
    let blocks = sh_blocks(&doc, "Running rewritten code");
    assert_eq!(
        blocks.len(),
        2,
        "the section shows the sourceless and the in-place recipe"
    );
    let mut ran = 0;
    for minor in [8, 12, 13] {
        let v = PyVersion::new(3, minor);
        let Some(interp) = oracle::find(v) else {
            eprintln!("note: CPython {v} not found: its new-user flow is skipped");
            continue;
        };
        // The sourceless tree: the hook fires before the body, the app's output follows.
        let (out, err) = run_recipe(&interp, &blocks[0]);
        assert!(out.starts_with("rewrote 3 file(s), 0 failed"), "{out}");
        assert!(
            out.ends_with("\nhook: add\n5\n"),
            "sourceless recipe on {v}: {out}\nstderr:\n{err}"
        );
        assert!(
            err.contains("is not in IN"),
            "the missing hook module gets a note on {v}: {err}"
        );
        // Sources kept with their mtimes, .pyc rewritten in place: same result.
        let script = format!(
            "{}\n{}",
            blocks[0]
                .lines()
                .take_while(|l| !l.starts_with("# every"))
                .collect::<Vec<_>>()
                .join("\n"),
            blocks[1]
        );
        let (out, _) = run_recipe(&interp, &script);
        assert!(
            out.ends_with("\nhook: add\n5\n"),
            "in-place recipe on {v}: {out}"
        );
        ran += 1;
    }
    assert!(ran > 0, "no CPython 3.8, 3.12 or 3.13 found");
}

/// The failure the recipe avoids: a mirrored `__pycache__` tree without
/// sources warns and Python does not run it.
#[test]
fn mirror_without_sources_warns_and_does_not_run() {
    let Some(interp) = oracle::find(PyVersion::new(3, 12)) else {
        eprintln!("note: CPython 3.12 not found: skipped");
        return;
    };
    let script = "mkdir -p src/app\n\
        printf 'print(1)\\n' > src/app/__main__.py\n\
        touch src/app/__init__.py\n\
        python3 -m compileall -q src\n\
        pyrewrite --pass inject-hook --param hook=pyrewrite_hook_print:hook src out\n\
        if PYTHONPATH=out python3 -m app; then echo RAN; else echo REFUSED; fi\n";
    let (out, err) = run_recipe(&interp, script);
    assert!(
        err.contains(
            "warning: wrote 2 file(s) into __pycache__ directories without their .py sources"
        ),
        "{err}"
    );
    assert!(err.contains("--layout sourceless"), "{err}");
    assert!(out.contains("REFUSED"), "{out}");
}

/// The hook module inside IN is copied unchanged, not instrumented, with a note.
#[test]
fn hook_module_in_the_tree_is_not_instrumented() {
    let Some(interp) = oracle::find(PyVersion::new(3, 12)) else {
        eprintln!("note: CPython 3.12 not found: skipped");
        return;
    };
    let script = "mkdir -p src/app\n\
        printf 'def f():\\n    return 7\\nprint(f())\\n' > src/app/__main__.py\n\
        touch src/app/__init__.py\n\
        cp tools/hook/pyrewrite_hook_print.py src/\n\
        python3 -m compileall -q src\n\
        pyrewrite --layout sourceless --pass inject-hook --param hook=pyrewrite_hook_print:hook src out\n\
        cmp src/__pycache__/pyrewrite_hook_print.cpython-312.pyc out/pyrewrite_hook_print.pyc\n\
        PYTHONPATH=out python3 -m app\n";
    let (out, err) = run_recipe(&interp, script);
    assert!(
        err.contains("pyrewrite_hook_print.cpython-312.pyc: not instrumented"),
        "{err}"
    );
    assert_eq!(out, "rewrote 3 file(s), 0 failed, ignored 3 non-.pyc or excluded file(s)\npass 1 inject-hook: changed 1 site(s) in 3 code object(s), 1 site(s) matched\nhook: f\n7\n");
}

/// docs/cli.md's mutation-testing loop: one mutant per site, the weak test found.
#[test]
fn documented_mutation_loop_finds_the_survivor() {
    let doc = std::fs::read_to_string(oracle::repo_root().join("docs/cli.md")).unwrap();
    let blocks = sh_blocks(&doc, "Mutation testing, one site at a time");
    assert_eq!(blocks.len(), 1);
    let mut ran = 0;
    for minor in [8, 12, 13] {
        let Some(interp) = oracle::find(PyVersion::new(3, minor)) else {
            continue;
        };
        let (out, err) = run_recipe(&interp, &blocks[0]);
        assert_eq!(
            out, "+ -> - #1: killed\n- -> + #1: killed\n> -> >= #1: survived\n",
            "3.{minor}; stderr:\n{err}"
        );
        ran += 1;
    }
    assert!(ran > 0, "no CPython 3.8, 3.12 or 3.13 found");
}

/// passes/trace-calls.toml's recipe (its `#   ` command lines), run verbatim
/// on a small `myapp` package.
#[test]
fn trace_calls_pipeline_recipe_runs() {
    let toml =
        std::fs::read_to_string(oracle::repo_root().join("passes/trace-calls.toml")).unwrap();
    let recipe: Vec<&str> = toml
        .lines()
        .filter_map(|l| l.strip_prefix("#   "))
        .collect();
    assert!(
        recipe.len() >= 4 && recipe.iter().any(|l| l.contains("--layout sourceless")),
        "{recipe:?}"
    );
    let mut ran = 0;
    for minor in [8, 12, 13] {
        let Some(interp) = oracle::find(PyVersion::new(3, minor)) else {
            continue;
        };
        let setup = "mkdir -p src/myapp passes\n\
            cp \"$PYREWRITE_ROOT/passes/trace-calls.toml\" passes/\n\
            printf 'def twice(x):\\n    return 2 * x\\n' > src/myapp/util.py\n\
            printf 'from myapp import util\\nprint(util.twice(21))\\n' > src/myapp/__main__.py\n\
            touch src/myapp/__init__.py\n";
        let script = format!("{setup}{}\n", recipe.join("\n"));
        let script = script.replace(
            "$PYREWRITE_ROOT",
            &oracle::repo_root().display().to_string(),
        );
        let (out, err) = run_recipe(&interp, &script);
        assert!(
            out.ends_with("hook: twice src/myapp/util.py 1\n42\n"),
            "3.{minor}: {out}\nstderr:\n{err}"
        );
        ran += 1;
    }
    assert!(ran > 0, "no CPython 3.8, 3.12 or 3.13 found");
}

/// The recipe's old mistake: IN = the package itself gives a warning that says what to pass instead.
#[test]
fn a_package_as_in_warns() {
    let Some(interp) = oracle::find(PyVersion::new(3, 12)) else {
        eprintln!("note: CPython 3.12 not found: skipped");
        return;
    };
    let script = "mkdir -p src/myapp\n\
        touch src/myapp/__init__.py src/myapp/util.py\n\
        python3 -m compileall -q src\n\
        rm src/myapp/__init__.py\n\
        pyrewrite -q --layout sourceless src/myapp out1\n\
        pyrewrite -q --layout sourceless src out2\n";
    let (_, err) = run_recipe(&interp, script);
    assert_eq!(
        err.matches("warning: IN is the package \"myapp\" itself")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("give the directory that holds the package"),
        "{err}"
    );
}
