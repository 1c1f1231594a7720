"""A script written for the `bytecode` library runs on pyrewrite with only
its import line changed (CPython 3.8-3.10, whose opcodes it uses; the
`bytecode` library is installed in the venv by tools/test_python.sh there)."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def run(source):
    r = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.skipif(sys.version_info >= (3, 11), reason="the script uses 3.8-3.10 opcodes")
def test_bytecode_script_ported_by_its_import_line():
    pytest.importorskip("bytecode")
    with open(os.path.join(HERE, "ported", "tracer_bc.py")) as f:
        original = f.read()
    line = "from bytecode import Bytecode, Compare, Instr, Label  # the one line a port changes"
    assert line in original
    ported = original.replace(line, "from pyrewrite import Bytecode, Compare, Instr, Label")
    expected = run(original)
    assert expected.count("enter fib") == 9
    assert run(ported) == expected
