"""The import hook: modules rewritten as imported, its own cache files,
invalidation, selection, uninstall. Each test runs in a fresh interpreter
(subprocess) so that imports and the hook's state start clean."""

import glob
import json
import os
import py_compile
import subprocess
import sys
import textwrap

import pytest

from conftest import MISSING_OPCODE


def run(tmp_path, code, env=None):
    """Runs ``code`` in a fresh interpreter with ``tmp_path`` as cwd and on sys.path."""
    e = dict(os.environ, PYTHONPATH=str(tmp_path), PYREWRITE_COUNTS=str(tmp_path / "counts.json"))
    # NB: the hook, like CPython, writes no cache under PYTHONDONTWRITEBYTECODE.
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e.update(env or {})
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=e, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def app(tmp_path):
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "calc.py").write_text("def add(a, b):\n    return a + b\n\ndef inc(x):\n    return x + 1\n")
    (pkg / "other.py").write_text("def one():\n    return 1\n")
    return tmp_path


INSTALL = """
import pyrewrite
inst = pyrewrite.install([("swap-const", {"from": 1, "to": 100})], include=["app.calc"])
from app import calc, other
print(calc.inc(1), other.one(), inst.rewritten, inst.cached)
"""


def test_rewrites_selected_modules_and_keeps_its_own_cache(app):
    out = run(app, INSTALL)
    assert out.split("\n")[0] == "101 1 ['app.calc'] []"
    caches = glob.glob(str(app / "app" / "__pycache__" / "calc.*.pyrewrite-*.pyc"))
    assert len(caches) == 1
    # CPython's own cache entry holds the unmodified code.
    own = glob.glob(str(app / "app" / "__pycache__" / "calc.cpython-*.pyc"))
    own = [p for p in own if "pyrewrite" not in p]
    assert len(own) == 1
    assert run(app, "from app import calc\nprint(calc.inc(1))").strip() == "2"
    # Warm: served from the cache, same result.
    out = run(app, INSTALL)
    assert out.split("\n")[0] == "101 1 [] ['app.calc']"


def test_cache_invalidated_by_source_and_passes(app):
    run(app, INSTALL)
    src = app / "app" / "calc.py"
    st = os.stat(src)
    src.write_text("def add(a, b):\n    return a + b + 1\n\ndef inc(x):\n    return x + 1 + 1\n")
    os.utime(src, (st.st_atime, st.st_mtime + 5))
    out = run(app, INSTALL)
    assert out.split("\n")[0] == "201 1 ['app.calc'] []"
    other_passes = INSTALL.replace('"to": 100', '"to": 7')
    out = run(app, other_passes)
    assert out.split("\n")[0] == "15 1 ['app.calc'] []"


def test_default_selection_is_user_code_not_stdlib(app):
    out = run(app, """
        import pyrewrite
        inst = pyrewrite.install([("inject-hook", {"hook": "pyrewrite.hooks:count"})])
        import app.calc, json, email.message
        app.calc.add(1, 2)
        print(sorted(inst.rewritten))
        from pyrewrite import hooks
        print(hooks.counts())
        """)
    lines = out.splitlines()
    assert lines[0] == "['app', 'app.calc']"
    assert json.loads(lines[1].replace("'", '"')) == {"add": 1}


def test_hook_module_is_never_instrumented(app):
    (app / "myhook.py").write_text("calls = []\ndef hook(q):\n    calls.append(q)\ndef helper():\n    return 1\n")
    out = run(app, """
        import pyrewrite
        inst = pyrewrite.install([("inject-hook", {"hook": "myhook:hook"})], include=["*"])
        import myhook, app.calc
        app.calc.inc(1); myhook.helper()
        print(myhook.calls, "myhook" in inst.rewritten)
        """)
    assert out.strip() == "['inc'] False"


def test_no_cache_under_dont_write_bytecode(app):
    out = run(app, INSTALL, {"PYTHONDONTWRITEBYTECODE": "1"})
    assert out.split("\n")[0] == "101 1 ['app.calc'] []"
    assert glob.glob(str(app / "app" / "__pycache__" / "*pyrewrite*")) == []


def test_uninstall_and_context_manager(app):
    out = run(app, """
        import pyrewrite, sys
        with pyrewrite.install([("swap-const", {"from": 1, "to": 100})], include=["app.*"]) as inst:
            from app import calc
        print(inst.installed)
        from app import other
        print(calc.inc(1), other.one())
        """)
    assert out.split() == ["False", "101", "1"]


def test_sourceless_pyc_module(app):
    py_compile.compile(str(app / "app" / "other.py"), cfile=str(app / "app" / "sourceless.pyc"))
    out = run(app, """
        import pyrewrite
        inst = pyrewrite.install([("swap-const", {"from": 1, "to": 9})], include=["app.sourceless"])
        from app import sourceless
        print(sourceless.one(), inst.rewritten)
        """)
    assert out.strip() == "9 ['app.sourceless']"


def test_rewritten_from_cpythons_own_cache_entry(app):
    # A valid CPython cache entry is rewritten from its bytes (no compile);
    # what that writes to the hook's cache serves the next run.
    py_compile.compile(str(app / "app" / "calc.py"))
    out = run(app, INSTALL)
    assert out.split("\n")[0] == "101 1 ['app.calc'] []"
    assert len(glob.glob(str(app / "app" / "__pycache__" / "calc.*.pyrewrite-*.pyc"))) == 1
    out = run(app, INSTALL)
    assert out.split("\n")[0] == "101 1 [] ['app.calc']"


@pytest.mark.parametrize("precompiled", [False, True])
def test_a_pass_that_refuses_is_an_import_error_or_skipped(app, precompiled):
    if precompiled:  # the path from CPython's own cache entry
        py_compile.compile(str(app / "app" / "calc.py"))
    code = """
        import pyrewrite
        inst = pyrewrite.install([("replace-op", {"from": "+", "to": "%s"})], include=["app.calc"], on_error=%r)
        try:
            from app import calc
            print("imported", calc.inc(1), len(inst.failed))
        except ImportError as e:
            print("ImportError", type(e.__cause__).__name__)
        """
    assert run(app, code % (MISSING_OPCODE, "raise")).strip() == "ImportError PassError"
    assert run(app, code % (MISSING_OPCODE, "skip")).strip() == "imported 2 1"
