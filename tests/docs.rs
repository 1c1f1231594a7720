//! Docs that cannot drift: docs/passes.md against the pass registry (what
//! `pyrewrite passes` prints), every shipped pipeline in passes/ loaded and
//! listed in docs/config.md, and every `pyrewrite` command shown in
//! docs/cli.md and docs/config.md run against fixtures named as the docs
//! name them. (The ```sh recipes are run with real interpreters by
//! tests/cli_run.rs.)

use pyrewrite::passes::{self, config, Pipeline};
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// The text of `## NAME` up to the next `## ` heading.
fn section<'a>(md: &'a str, name: &str) -> &'a str {
    let start = md
        .find(&format!("\n## {name}\n"))
        .unwrap_or_else(|| panic!("no section ## {name}"))
        + 1;
    let rest = &md[start..];
    &rest[..rest[3..].find("\n## ").map_or(rest.len(), |i| i + 4)]
}

#[test]
fn passes_md_matches_the_registry() {
    let md = read("docs/passes.md");
    let listing = Command::new(BIN).arg("passes").output().unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    for p in passes::PASSES {
        assert!(
            listing.contains(&p.describe()),
            "`pyrewrite passes` lacks {}",
            p.name
        );
        let sec = section(&md, p.name);
        let body = p.doc.trim().replace("## ", "### ");
        assert!(
            sec.contains(&body),
            "docs/passes.md ## {} does not carry the pass's doc verbatim (copy it from src/passes)",
            p.name
        );
        let table = sec
            .split("### Parameters")
            .nth(1)
            .unwrap_or_else(|| panic!("## {}: no ### Parameters", p.name));
        let rows: Vec<Vec<String>> = table
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| {
                l.split('|')
                    .map(|c| c.trim().trim_matches('`').to_string())
                    .collect()
            })
            .collect();
        let documented: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| (r[1].clone(), r[2].to_lowercase(), r[3].clone()))
            .collect();
        let declared: Vec<(String, String, String)> = p
            .params
            .iter()
            .map(|s| {
                (
                    s.name.to_string(),
                    s.kind.describe().to_string(),
                    s.default.map_or("required".to_string(), str::to_string),
                )
            })
            .collect();
        assert_eq!(
            documented, declared,
            "docs/passes.md ## {} parameter table (key, type, default)",
            p.name
        );
    }
}

#[test]
fn every_shipped_pipeline_loads_and_is_listed() {
    let listed = section(&read("docs/config.md"), "Shipped pipelines").to_string();
    let mut n = 0;
    for e in std::fs::read_dir(root().join("passes")).unwrap().flatten() {
        let p = e.path();
        let name = format!("passes/{}", p.file_name().unwrap().to_string_lossy());
        assert!(
            p.extension().is_some_and(|x| x == "toml"),
            "{name}: passes/ holds pipelines only"
        );
        let specs = config::load(&p).unwrap_or_else(|e| panic!("{e}"));
        Pipeline::from_specs(&specs).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            listed.contains(&format!("`{name}`")),
            "docs/config.md \"Shipped pipelines\" does not list {name}"
        );
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with('#'),
            "{name} starts with a comment saying what it does"
        );
        n += 1;
    }
    assert!(n >= 4, "{n} pipelines");
}

/// `pyrewrite` command lines in fenced blocks (not ```sh, not `pyrewrite:`
/// messages), with `\` continuations joined and `$ ` prompts dropped.
fn commands(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, block) in md.split("```").enumerate() {
        if i % 2 == 0 || block.starts_with("sh\n") || block.starts_with("toml\n") {
            continue;
        }
        let mut pending = String::new();
        for line in block.lines().skip(1) {
            let t = line.trim();
            let t = t.strip_prefix("$ ").unwrap_or(t);
            if pending.is_empty() && !t.starts_with("pyrewrite ") {
                continue;
            }
            pending.push_str(t.trim_end_matches('\\'));
            if t.ends_with('\\') {
                pending.push(' ');
                continue;
            }
            out.push(std::mem::take(&mut pending));
        }
    }
    out
}

/// A synopsis line (`pyrewrite info FILE.pyc [--json]   what it does`), not a command to run.
fn is_synopsis(cmd: &str) -> bool {
    let described = cmd
        .find("   ")
        .is_some_and(|i| !cmd[i..].trim_start().starts_with('#'));
    described
        || ["[", "FILE.pyc", "A.pyc", " bash|"]
            .iter()
            .any(|p| cmd.contains(p))
}

/// A directory with the files the docs' examples name.
fn fixtures(dir: &Path) {
    let c312 = root().join("corpus/pyc/3.12");
    for link in ["corpus", "passes", "tools"] {
        std::os::unix::fs::symlink(root().join(link), dir.join(link)).unwrap();
    }
    for name in ["sample.pyc", "x.pyc", "in.pyc", "app.pyc", "IN"] {
        std::fs::copy(c312.join("passes/consts.pyc"), dir.join(name)).unwrap();
    }
    std::fs::copy(c312.join("lambdas.pyc"), dir.join("lam.pyc")).unwrap();
    std::fs::copy(c312.join("closures.pyc"), dir.join("def.pyc")).unwrap();
    std::fs::copy(
        root().join("passes/hotfix-constant.toml"),
        dir.join("my-pipeline.toml"),
    )
    .unwrap();
    for (to, from) in [
        ("build/lib", c312.join("passes")),
        ("site-packages", c312.join("passes")),
    ] {
        std::fs::create_dir_all(dir.join(to)).unwrap();
        for e in std::fs::read_dir(&from).unwrap().flatten() {
            std::fs::copy(e.path(), dir.join(to).join(e.file_name())).unwrap();
        }
    }
    std::fs::create_dir_all(dir.join("build/lib/tests")).unwrap();
    std::fs::copy(
        c312.join("asserts.pyc"),
        dir.join("build/lib/tests/asserts.pyc"),
    )
    .unwrap();
}

#[test]
fn every_command_in_cli_and_config_docs_runs() {
    let tmp = tempfile::tempdir().unwrap();
    fixtures(tmp.path());
    let bin = tmp.path().join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(BIN, bin.join("pyrewrite")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for doc in ["docs/cli.md", "docs/config.md"] {
        for cmd in commands(&read(doc)) {
            if is_synopsis(&cmd) {
                continue;
            }
            let o = Command::new("bash")
                .args(["-o", "pipefail", "-c", &cmd])
                .current_dir(tmp.path())
                .env("PATH", &path)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            // NB: `diff` exits 1 for files that differ, as diff(1).
            let ok = o.status.code() == Some(0)
                || (cmd.starts_with("pyrewrite diff") && o.status.code() == Some(1));
            assert!(
                ok && !err.contains("internal error"),
                "{doc}: `{cmd}` exited {:?}:\n{err}",
                o.status.code()
            );
            ran += 1;
        }
    }
    eprintln!("docs: {ran} commands ran");
    assert!(ran >= 15, "only {ran} commands");
}

/// The error lines docs/cli.md quotes are the ones pyrewrite prints.
#[test]
fn quoted_error_messages_are_current() {
    let md = read("docs/cli.md");
    let tmp = tempfile::tempdir().unwrap();
    for (args, want) in [
        (
            vec!["--pass", "fold", "x.pyc", "out.pyc"],
            "pyrewrite: unknown pass \"fold\"; available passes: ",
        ),
        (
            vec!["info", "missing.pyc"],
            "pyrewrite: missing.pyc: No such file or directory (os error 2)",
        ),
    ] {
        let o = Command::new(BIN)
            .args(&args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        let line = err.lines().next().unwrap_or_default();
        assert!(line.starts_with(want), "{args:?}: {line}");
        assert!(md.contains(line), "docs/cli.md does not quote `{line}`");
    }
}

/// Every dependency in Cargo.toml is used by the code (`cargo tree` then
/// lists none that only costs build time).
#[test]
fn every_declared_dependency_is_used() {
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    let mut sources = String::new();
    for dir in ["src", "tests", "benches", "examples"] {
        for e in walkdir::WalkDir::new(root().join(dir))
            .into_iter()
            .flatten()
        {
            if e.path().extension().is_some_and(|x| x == "rs") {
                sources.push_str(&std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    let mut checked = 0;
    for section in ["dependencies", "dev-dependencies"] {
        for name in manifest[section].as_table().unwrap().keys() {
            let krate = name.replace('-', "_");
            assert!(
                sources.contains(&format!("{krate}::"))
                    || sources.contains(&format!("use {krate}")),
                "[{section}] {name} is declared but no source file uses it"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
}
