"""Passes written in Python inside TOML pipelines (``python = "module:function"``):
through the API, the import hook, the runner and ``python -m pyrewrite`` on
.pyc files, mixed with built-in passes; refused with a clear message where
they cannot run."""

import glob
import os
import py_compile
import subprocess
import sys

import pytest

import pyrewrite
from conftest import corpus_pyc

HOST = "%d.%d" % sys.version_info[:2]
PASSES = """\
from pyrewrite import Instr

def swap(b):
    for i in b:
        if isinstance(i, Instr) and i.name == "LOAD_CONST" and i.arg == 5000:
            i.arg = 2

def boom(b):
    raise KeyError("no such thing")

def drop_loads(b):
    b[:] = [x for x in b if not (isinstance(x, Instr) and x.name == "LOAD_FAST")]
"""
CONFIG = '[[pass]]\npython = "tpasses:swap"\n'


@pytest.fixture
def passes_dir(tmp_path, monkeypatch):
    (tmp_path / "tpasses.py").write_text(PASSES)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("tpasses", None)
    return tmp_path


def test_config_python_pass_on_a_live_function(passes_dir):
    def f():
        return "w" * 5000

    pyrewrite.patch(f, config=CONFIG)
    assert f() == "ww"
    assert pyrewrite.Pipeline(config=CONFIG).names == ["python"]


def test_mixed_with_built_in_passes_in_config_order(passes_dir):
    def f():
        n = 7
        return "w" * 5000 + "x" * n

    # swap-const, then the Python pass (5000 -> 2), then fold-constants on
    # what the Python pass left: "w" * 2 folds to "ww".
    config = '[[pass]]\nname = "swap-const"\nfrom = 7\nto = 3\n\n' + CONFIG + '\n[[pass]]\nname = "fold-constants"\n'
    pyrewrite.patch(f, config=config)
    assert f() == "wwxxx"
    assert "ww" in f.__code__.co_consts and 7 not in f.__code__.co_consts


def test_a_pass_that_raises_or_breaks_the_stack_changes_nothing(passes_dir):
    def f(x):
        return x * 5000

    code = f.__code__
    with pytest.raises(pyrewrite.Error) as e:
        pyrewrite.patch(f, config=CONFIG.replace("swap", "boom"))
    assert "tpasses:boom raised KeyError" in str(e.value) and e.value.pass_name == "python"
    # The pass's own exception is the cause, with its traceback.
    assert isinstance(e.value.__cause__, KeyError)
    # A pass whose output the verifier refuses raises that VerifyError
    # itself, with each problem.
    with pytest.raises(pyrewrite.VerifyError) as e:
        pyrewrite.patch(f, config=CONFIG.replace("swap", "drop_loads"))
    assert "stack" in str(e.value).lower()
    assert e.value.pass_name.endswith("drop_loads") and e.value.problems[0].rule == "stack"
    assert f.__code__ is code and f(1) == 5000


def test_unknown_function_is_a_usage_error(passes_dir):
    with pytest.raises(pyrewrite.UsageError) as e:
        pyrewrite.Pipeline(config=CONFIG.replace("swap", "nope"))
    assert "tpasses:nope" in str(e.value)
    with pytest.raises(pyrewrite.UsageError) as e:
        pyrewrite.Pipeline(config='[[pass]]\npython = "no_such_module_xyz:f"\n')
    assert "no_such_module_xyz" in str(e.value)


def test_command_line_rewrites_host_pyc_files(passes_dir):
    (passes_dir / "m.py").write_text("def f():\n    return 'w' * 5000\n")
    py_compile.compile(str(passes_dir / "m.py"), cfile=str(passes_dir / "m.pyc"))
    (passes_dir / "cfg.toml").write_text(CONFIG)
    env = dict(os.environ, PYTHONPATH=str(passes_dir))
    r = subprocess.run([sys.executable, "-m", "pyrewrite", "m.pyc", "out.pyc", "--config", "cfg.toml"], cwd=passes_dir, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-c", "import importlib.util as u, sys\ns = u.spec_from_file_location('m', 'out.pyc')\nm = u.module_from_spec(s); s.loader.exec_module(m)\nprint(m.f())"], cwd=passes_dir, capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (0, "ww\n"), r.stderr


def test_command_line_refuses_other_versions(passes_dir):
    other = "3.8" if HOST != "3.8" else "3.12"
    (passes_dir / "cfg.toml").write_text(CONFIG)
    env = dict(os.environ, PYTHONPATH=str(passes_dir))
    r = subprocess.run([sys.executable, "-m", "pyrewrite", corpus_pyc(other), "out.pyc", "--config", "cfg.toml"], cwd=passes_dir, env=env, capture_output=True, text=True)
    assert r.returncode != 0
    assert "runs on code of this interpreter (%s), not %s" % (HOST, other) in r.stderr
    assert not (passes_dir / "out.pyc").exists()


def test_runner_with_a_config_python_pass_writes_no_cache(passes_dir):
    (passes_dir / "m.py").write_text("def f():\n    return 'w' * 5000\n")
    (passes_dir / "main.py").write_text("import m\nprint(m.f())\n")
    (passes_dir / "cfg.toml").write_text(CONFIG)
    env = dict(os.environ, PYTHONPATH=str(passes_dir))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    r = subprocess.run([sys.executable, "-m", "pyrewrite", "run", "--config", "cfg.toml", "--exclude", "tpasses", "main.py"], cwd=passes_dir, env=env, capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (0, "ww\n"), r.stderr
    assert glob.glob(str(passes_dir / "__pycache__" / "*pyrewrite*")) == []
