"""The ready hooks: counter, printer, timer; they import only built-in modules."""

import json
import os
import subprocess
import sys
import textwrap


def run(tmp_path, code, **env):
    e = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=e, capture_output=True, text=True)


def test_counter_dumps_json_at_exit(tmp_path):
    r = run(tmp_path, """
        import pyrewrite
        def f():
            return 1
        pyrewrite.patch(f, [("inject-hook", {"hook": "pyrewrite.hooks:count"})])
        f(); f()
        """, PYREWRITE_COUNTS=str(tmp_path / "c.json"))
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "c.json").read_text()) == {"f": 2}


def test_printer_writes_each_entry(tmp_path):
    r = run(tmp_path, """
        import pyrewrite
        def f():
            return 1
        pyrewrite.patch(f, [("inject-hook", {"hook": "pyrewrite.hooks:printer", "args": ["qualname", "firstlineno"]})])
        f()
        """)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "pyrewrite: enter f 3\n"


def test_timer_writes_a_chrome_trace(tmp_path):
    r = run(tmp_path, """
        import pyrewrite
        def f():
            return 1
        def g():
            return f()
        pyrewrite.patch(g, [("inject-hook", {"hook": "pyrewrite.hooks:timer"})])
        pyrewrite.patch(f, [("inject-hook", {"hook": "pyrewrite.hooks:timer"})])
        g(); g()
        """, PYREWRITE_TIMELINE=str(tmp_path / "t.json"))
    assert r.returncode == 0, r.stderr
    t = json.loads((tmp_path / "t.json").read_text())
    assert [e["name"] for e in t["traceEvents"]] == ["g", "f", "g", "f"]
    ts = [e["ts"] for e in t["traceEvents"]]
    assert ts == sorted(ts)
    assert t["summary"]["f"]["calls"] == 2


def test_hooks_import_only_builtin_modules(tmp_path):
    r = run(tmp_path, """
        import sys
        before = set(sys.modules)
        import importlib.util
        spec = importlib.util.find_spec("pyrewrite.hooks")
        src = open(spec.origin).read()
        before = set(sys.modules)
        ns = {"__name__": "h"}
        exec(compile(src, spec.origin, "exec"), ns)
        new = set(sys.modules) - before
        print(sorted(m for m in new if m not in sys.builtin_module_names))
        """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
