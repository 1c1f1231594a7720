"""``python -m pyrewrite run`` and the CLI commands under ``python -m pyrewrite``."""

import json
import os
import subprocess
import sys

import pytest

from conftest import corpus_pyc


def pyrewrite_main(args, cwd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "pyrewrite"] + args, cwd=cwd, env=e, capture_output=True, text=True)


@pytest.fixture
def prog(tmp_path):
    (tmp_path / "lib.py").write_text("def double(x):\n    return x * 2\n")
    (tmp_path / "main.py").write_text(
        "import sys, lib\n"
        "def main():\n"
        "    print(lib.double(int(sys.argv[1])), sys.argv[2:])\n"
        "    return int(sys.argv[1])\n"
        "if __name__ == '__main__':\n"
        "    sys.exit(main())\n"
    )
    return tmp_path


HOOK = ["--pass", "inject-hook", "--param", "hook=pyrewrite.hooks:count"]


def test_run_script_with_inject_hook_exits_with_its_status(prog):
    r = pyrewrite_main(["run"] + HOOK + ["main.py", "3", "a", "--b"], prog, {"PYREWRITE_COUNTS": str(prog / "c.json")})
    assert r.returncode == 3, r.stderr
    assert r.stdout == "6 ['a', '--b']\n"
    assert json.loads((prog / "c.json").read_text()) == {"main": 1, "double": 1}


def test_run_module_with_param_text(prog):
    r = pyrewrite_main(["run", "--pass", "swap-const", "--param", "from=2", "--param", "to=5", "-m", "main", "4"], prog)
    assert r.returncode == 4, r.stderr
    assert r.stdout == "20 []\n"


def test_run_with_config_and_include(prog):
    (prog / "p.toml").write_text('[[pass]]\nname = "swap-const"\nfrom = 2\nto = 3\n')
    r = pyrewrite_main(["run", "--config", "p.toml", "--include", "lib", "main.py", "1"], prog)
    assert (r.returncode, r.stdout) == (1, "3 []\n"), r.stderr


def test_run_usage_errors(prog):
    r = pyrewrite_main(["run", "main.py"], prog)
    assert r.returncode == 2 and "no passes" in r.stderr
    r = pyrewrite_main(["run", "--pass", "nope", "main.py"], prog)
    assert r.returncode == 2 and "available passes" in r.stderr
    r = pyrewrite_main(["run"] + HOOK, prog)
    assert r.returncode == 2 and "no script" in r.stderr
    r = pyrewrite_main(["run"] + HOOK + ["missing.py"], prog)
    assert r.returncode == 2 and "can't open file" in r.stderr


def test_cli_commands_through_python_m(tmp_path):
    pyc = corpus_pyc("3.12")
    r = pyrewrite_main(["dis", pyc], tmp_path)
    assert r.returncode == 0 and "RESUME" in r.stdout
    r = pyrewrite_main(["info", "--json", pyc], tmp_path)
    assert json.loads(r.stdout)["header"]["version"] == "3.12"
    out = tmp_path / "out.pyc"
    r = pyrewrite_main(["--pass", "swap-const", "--param", "from=1", "--param", "to=7", pyc, str(out)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert out.exists()
    r = pyrewrite_main(["frobnicate-no-such-file.pyc"], tmp_path)
    assert r.returncode != 0
