//! The `wrap` pass on real interpreters: tests/wrap/fixture.py compiled by
//! each CPython (3.8-3.13 native, 3.14 through pyodide), wrapped with
//! recording hooks (tests/wrap/wrap_hooks.py) and run. Its output must be
//! the unwrapped run's (results, tracebacks with their lines), and the
//! recorded events must be tests/wrap/expected_events.txt exactly, with
//! and without the off switch (tests/wrap/wrap_switch.py, turned off for a
//! few calls by the fixture).

mod support;

use pyrewrite::passes::{Pipeline, RawValue};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::path::Path;

fn pipeline(params: &[(&str, &str)]) -> Result<Pipeline, pyrewrite::passes::ConfigError> {
    let raw = params
        .iter()
        .map(|(k, v)| (k.to_string(), RawValue::Text(v.to_string())))
        .collect();
    Pipeline::from_specs(&[("wrap".to_string(), raw)])
}

/// The events `v` must record: the file's lines, with those marked `<3.12`
/// only before 3.12 and those marked `[no switch]` only without a switch.
fn expected(v: PyVersion, switch: bool) -> Vec<String> {
    let text = std::fs::read_to_string(support::repo_root().join("tests/wrap/expected_events.txt"))
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| match l.strip_prefix("[no switch] ") {
            Some(rest) => (!switch).then_some(rest),
            None => Some(l),
        })
        .filter_map(|l| match l.strip_prefix("<3.12 ") {
            Some(rest) => (!v.at_least(12)).then(|| rest.to_string()),
            None => Some(l.to_string()),
        })
        .collect()
}

fn compile(interp: &pyrewrite::oracle::Interpreter, src: &Path, out: &Path) {
    let script = support::repo_root().join("tools/oracle/compile_tree.py");
    let o = interp
        .run_script(&script, &[src.as_os_str(), out.as_os_str()])
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn wrapped_functions_run_as_before_and_record_the_predicted_events() {
    let hooks = [
        ("enter", "wrap_hooks:enter"),
        ("exit", "wrap_hooks:exit"),
        ("error", "wrap_hooks:error"),
    ];
    let plain_pl = pipeline(&hooks).unwrap();
    // The two places an off switch can live: a module attribute, a builtin.
    let by_module =
        pipeline(&[hooks[0], hooks[1], hooks[2], ("switch", "wrap_switch:ON")]).unwrap();
    let by_builtin = pipeline(&[
        hooks[0],
        hooks[1],
        hooks[2],
        ("switch", "builtins:__wrap_test_on__"),
    ])
    .unwrap();
    let mut ran = 0;
    for v in PyVersion::SUPPORTED {
        let Some(interp) = support::oracle_for(v) else {
            continue;
        };
        let work = tempfile::tempdir().unwrap();
        let plain = work.path().join("plain");
        compile(&interp, &support::repo_root().join("tests/wrap"), &plain);
        let run = |root: &Path| {
            let out = support::run_many(&interp, root, &[root.join("fixture.pyc")]).unwrap();
            out.into_values().next().unwrap()
        };
        let before = run(&plain);
        assert!(
            !before.contains("!exit"),
            "{v}: the unwrapped fixture failed:\n{before}"
        );
        for (name, pl) in [
            ("none", &plain_pl),
            ("module", &by_module),
            ("builtin", &by_builtin),
        ] {
            let switch = name != "none";
            let wrapped = work.path().join(format!("wrapped-{name}"));
            std::fs::create_dir_all(&wrapped).unwrap();
            for m in ["wrap_hooks.pyc", "wrap_switch.pyc"] {
                std::fs::copy(plain.join(m), wrapped.join(m)).unwrap();
            }
            let src = plain.join("fixture.pyc");
            let mut p = Pyc::parse(&std::fs::read(&src).unwrap()).unwrap();
            pl.run(&mut p, &src)
                .unwrap_or_else(|e| panic!("{v} (switch: {name}): {e}"));
            std::fs::write(wrapped.join("fixture.pyc"), p.to_bytes().unwrap()).unwrap();
            let after = run(&wrapped);
            let (events, rest): (Vec<&str>, Vec<&str>) =
                after.lines().partition(|l| l.starts_with("event "));
            assert_eq!(
                rest,
                before.lines().collect::<Vec<_>>(),
                "{v} (switch: {name}): the wrapped program's output differs"
            );
            assert_eq!(
                events,
                expected(v, switch),
                "{v} (switch: {name}): the recorded events differ"
            );
        }
        ran += 1;
    }
    assert!(ran > 0, "no interpreter to run the wrap fixture on");
}

/// inject-hook with the same switch: its calls are exactly wrap's enter
/// events (the same fixture, the same first-resumption rule).
#[test]
fn inject_hook_switch_skips_the_hook_while_off() {
    for switch in ["wrap_switch:ON", "builtins:__wrap_test_on__"] {
        inject_hook_switch(switch);
    }
}

fn inject_hook_switch(switch: &str) {
    let raw = [("hook", "wrap_hooks:enter"), ("switch", switch)]
        .iter()
        .map(|(k, v)| (k.to_string(), RawValue::Text(v.to_string())))
        .collect();
    let pl = Pipeline::from_specs(&[("inject-hook".to_string(), raw)]).unwrap();
    let mut ran = 0;
    for v in PyVersion::SUPPORTED {
        let Some(interp) = support::oracle_for(v) else {
            continue;
        };
        let work = tempfile::tempdir().unwrap();
        let (plain, hooked) = (work.path().join("plain"), work.path().join("hooked"));
        compile(&interp, &support::repo_root().join("tests/wrap"), &plain);
        std::fs::create_dir_all(&hooked).unwrap();
        for m in ["wrap_hooks.pyc", "wrap_switch.pyc"] {
            std::fs::copy(plain.join(m), hooked.join(m)).unwrap();
        }
        let src = plain.join("fixture.pyc");
        let mut p = Pyc::parse(&std::fs::read(&src).unwrap()).unwrap();
        pl.run(&mut p, &src).unwrap_or_else(|e| panic!("{v}: {e}"));
        std::fs::write(hooked.join("fixture.pyc"), p.to_bytes().unwrap()).unwrap();
        let out = support::run_many(&interp, &hooked, &[hooked.join("fixture.pyc")]).unwrap();
        let out = out.into_values().next().unwrap();
        let events: Vec<&str> = out.lines().filter(|l| l.starts_with("event ")).collect();
        let want: Vec<String> = expected(v, true)
            .into_iter()
            .filter(|l| l.starts_with("event enter"))
            .collect();
        assert_eq!(events, want, "{v}: inject-hook with the switch {switch}");
        ran += 1;
    }
    assert!(ran > 0);
}

/// `resumes = true`: suspend before every yield, resume after it; on
/// 3.11+ also inside an `await` (a SEND loop of YIELD_VALUEs), which
/// 3.8-3.10 run as one YIELD_FROM instruction.
#[test]
fn resumes_records_every_suspension() {
    let raw = [
        ("enter", "wrap_hooks:enter"),
        ("exit", "wrap_hooks:exit"),
        ("resumes", "true"),
        ("suspend", "wrap_hooks:suspend"),
        ("resume", "wrap_hooks:resume"),
    ];
    let pl = pipeline(&raw).unwrap();
    let mut ran = 0;
    for v in PyVersion::SUPPORTED {
        let Some(interp) = support::oracle_for(v) else {
            continue;
        };
        let work = tempfile::tempdir().unwrap();
        let (plain, wrapped) = (work.path().join("plain"), work.path().join("wrapped"));
        compile(&interp, &support::repo_root().join("tests/wrap"), &plain);
        std::fs::create_dir_all(&wrapped).unwrap();
        std::fs::copy(plain.join("wrap_hooks.pyc"), wrapped.join("wrap_hooks.pyc")).unwrap();
        let src = plain.join("resumes.pyc");
        let mut p = Pyc::parse(&std::fs::read(&src).unwrap()).unwrap();
        pl.run(&mut p, &src).unwrap_or_else(|e| panic!("{v}: {e}"));
        std::fs::write(wrapped.join("resumes.pyc"), p.to_bytes().unwrap()).unwrap();
        let run = |root: &Path| {
            support::run_many(&interp, root, &[root.join("resumes.pyc")])
                .unwrap()
                .into_values()
                .next()
                .unwrap()
        };
        let (before, after) = (run(&plain), run(&wrapped));
        let (events, rest): (Vec<&str>, Vec<&str>) =
            after.lines().partition(|l| l.starts_with("event "));
        assert_eq!(
            rest,
            before.lines().collect::<Vec<_>>(),
            "{v}: output differs"
        );
        let mut want = vec!["event enter gen", "event suspend gen 0", "event resume gen"];
        want.extend([
            "event suspend gen 1",
            "event resume gen",
            "event suspend gen 2",
            "event resume gen",
        ]);
        want.extend(["event exit gen 'done'", "event enter coro"]);
        if v.at_least(11) {
            want.extend([
                "event enter Pause.__await__",
                "event suspend Pause.__await__ 'paused'",
            ]);
            want.extend([
                "event suspend coro 'paused'",
                "event resume coro",
                "event resume Pause.__await__",
            ]);
            want.extend(["event exit Pause.__await__ None", "event exit coro 1"]);
        } else {
            want.extend([
                "event enter Pause.__await__",
                "event suspend Pause.__await__ 'paused'",
            ]);
            want.extend([
                "event resume Pause.__await__",
                "event exit Pause.__await__ None",
                "event exit coro 1",
            ]);
        }
        assert_eq!(events, want, "{v}: events");
        ran += 1;
    }
    assert!(ran > 0);
}

#[test]
fn parameters_are_checked() {
    let err = |p: &[(&str, &str)]| pipeline(p).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err(&[]).contains("at least one of enter, exit, error"));
    assert!(err(&[("enter", "nocolon")]).contains("expected module:function"));
    assert!(err(&[("exit", "m:f"), ("extra", "bogus")]).contains("unknown argument \"bogus\""));
    assert!(
        err(&[("exit", "m:f"), ("local", "not an identifier")]).contains("is not an identifier")
    );
    assert!(pipeline(&[("error", "m:f")]).is_ok());
    assert!(err(&[("exit", "m:f"), ("resumes", "true")]).contains("needs a suspend or resume hook"));
    assert!(err(&[("exit", "m:f"), ("suspend", "m:g")]).contains("only with resumes = true"));
}

/// Wrapping twice is refused: the hidden local exists already.
#[test]
fn wrapping_twice_is_refused() {
    let v = PyVersion::new(3, 12);
    let files = support::corpus_pyc_files(v);
    let Some(file) = files.iter().find(|f| f.ends_with("closures.pyc")) else {
        return;
    };
    let pl = pipeline(&[("exit", "m:f")]).unwrap();
    let mut p = Pyc::parse(&std::fs::read(file).unwrap()).unwrap();
    pl.run(&mut p, file).unwrap();
    let e = pl.run(&mut p, file).unwrap_err().to_string();
    assert!(e.contains("already has a local"), "{e}");
}
