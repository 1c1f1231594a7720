"""``pyrewrite.dis`` prints exactly what ``dis.dis`` prints, for every module
of the host interpreter's standard library (Lib/test included), compiled in
this process."""

import contextlib
import dis
import io
import os
import sysconfig
import warnings

import pyrewrite


def stdlib_sources():
    root = sysconfig.get_paths()["stdlib"]
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in ("site-packages", "__pycache__"))
        for f in sorted(files):
            if f.endswith(".py"):
                yield os.path.join(d, f)


def compiled_stdlib():
    """``(path, module code)`` of every stdlib source that compiles."""
    for path in stdlib_sources():
        try:
            with open(path, "rb") as f:
                source = f.read()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield path, compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue  # test data that is not valid Python on purpose


def test_dis_equals_dis_dis_on_the_whole_stdlib():
    compared = 0
    differ = []
    for path, code in compiled_stdlib():
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            dis.dis(code)
        if pyrewrite.dis(code) != buf.getvalue():
            differ.append(path)
        compared += 1
    print(f"dis: {compared} stdlib modules compared, {len(differ)} differ")
    assert compared > 500
    assert differ == []
