//! `pyrewrite completions SHELL` and `pyrewrite man`: generated from the
//! clap definitions, so every subcommand and option appears.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

fn out(args: &[&str]) -> String {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn bash_completion_loads_and_knows_the_commands() {
    let script = out(&["completions", "bash"]);
    for word in [
        "info",
        "dis",
        "diff",
        "cfg",
        "passes",
        "--layout",
        "--include",
        "--strict",
        "--qualname",
        "sourceless",
    ] {
        assert!(script.contains(word), "completion lacks {word}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("pyrewrite.bash");
    std::fs::write(&f, &script).unwrap();
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p pyrewrite", f.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("_pyrewrite pyrewrite"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(out(&["completions", shell]).contains("cfg"), "{shell}");
    }
}

#[test]
fn man_page_is_roff_with_every_option() {
    let page = out(&["man"]);
    assert!(page.contains(".TH pyrewrite 1"), "{page}");
    for word in [
        "\\-\\-layout",
        "\\-\\-include",
        "\\-\\-exclude",
        "\\-\\-strict",
        "\\-\\-json",
        "cfg",
        "dis",
    ] {
        assert!(page.contains(word), "man page lacks {word}");
    }
    // Rendered by groff where it is installed: no warnings.
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("pyrewrite.1");
    std::fs::write(&f, &page).unwrap();
    match Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .arg(&f)
        .output()
    {
        Ok(o) => {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert!(String::from_utf8_lossy(&o.stdout).contains("layout"));
        }
        Err(_) => eprintln!("note: groff not installed: the man page is not rendered"),
    }
}
