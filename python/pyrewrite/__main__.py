"""``python -m pyrewrite``: the runner, and every command of the Rust CLI.

``python -m pyrewrite run [--pass NAME [--param KEY=VALUE ...]] ... |
--config FILE] [--include GLOB] [--exclude GLOB] [--no-cache]
(script.py | -m module) [args...]`` runs a program with the import hook
installed, as ``coverage run`` does, and exits with the program's status.
Anything else (``dis``, ``info``, ``diff``, ``passes``, rewriting files and
trees) is the ``pyrewrite`` command line itself, compiled into the package.
"""

import os
import sys
from typing import List, Optional, Sequence

RUN_USAGE = """\
usage: python -m pyrewrite run [--pass NAME [--param KEY=VALUE]...]... | --config FILE]
                               [--include GLOB]... [--exclude GLOB]... [--no-cache]
                               (SCRIPT | -m MODULE) [ARGS...]

Runs SCRIPT (or MODULE, as python -m does) with pyrewrite's import hook
installed: every selected module is rewritten as it is imported, and SCRIPT
itself when it is selected. Without --include, every module outside the
standard library and site-packages is selected. Exits with the program's
own status.
"""


class _RunArgs:
    def __init__(self) -> None:
        self.passes: List[list] = []
        self.config: Optional[str] = None
        self.include: List[str] = []
        self.exclude: List[str] = []
        self.cache = True
        self.module: Optional[str] = None
        self.script: Optional[str] = None
        self.args: List[str] = []


def _usage_error(msg: str) -> "SystemExit":
    sys.stderr.write(RUN_USAGE + f"\npython -m pyrewrite run: error: {msg}\n")
    return SystemExit(2)


def _parse_run(argv: Sequence[str]) -> _RunArgs:
    """Options up to the script (or -m MODULE); the rest is the program's."""
    a = _RunArgs()
    i = 0

    def value(opt: str) -> str:
        if i + 1 >= len(argv):
            raise _usage_error(f"{opt} needs a value")
        return argv[i + 1]

    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            sys.stdout.write(RUN_USAGE)
            raise SystemExit(0)
        if arg == "--pass":
            a.passes.append([value(arg), {}])
            i += 2
        elif arg == "--param":
            kv = value(arg)
            if not a.passes:
                raise _usage_error("--param must follow a --pass")
            key, sep, val = kv.partition("=")
            if not sep:
                raise _usage_error(f"--param {kv!r}: expected KEY=VALUE")
            a.passes[-1][1][key] = val
            i += 2
        elif arg == "--config":
            a.config = value(arg)
            i += 2
        elif arg == "--include":
            a.include.append(value(arg))
            i += 2
        elif arg == "--exclude":
            a.exclude.append(value(arg))
            i += 2
        elif arg == "--no-cache":
            a.cache = False
            i += 1
        elif arg == "-m":
            a.module = value(arg)
            a.args = list(argv[i + 2 :])
            break
        elif arg.startswith("-"):
            raise _usage_error(f"unknown option {arg}")
        else:
            a.script = arg
            a.args = list(argv[i + 1 :])
            break
    if a.module is None and a.script is None:
        raise _usage_error("no script or -m MODULE to run")
    if a.passes and a.config:
        raise _usage_error("give either --pass or --config, not both")
    if not a.passes and not a.config:
        raise _usage_error("no passes: give --pass NAME or --config FILE")
    return a


def run(argv: Sequence[str]) -> None:
    """Runs a program under the import hook (``python -m pyrewrite run``)."""
    a = _parse_run(argv)
    from .api import Pipeline
    from .errors import UsageError
    from .importhook import install

    try:
        if a.config is not None:
            pipeline = Pipeline(config=a.config)
        else:
            pipeline = Pipeline.from_text([(name, params) for name, params in a.passes])
    except (UsageError, OSError) as e:
        raise _usage_error(str(e))
    inst = install(pipeline, include=a.include, exclude=a.exclude, cache=a.cache)
    if a.module is not None:
        import runpy

        sys.argv = [a.module] + a.args
        sys.path.insert(0, os.getcwd())
        runpy.run_module(a.module, run_name="__main__", alter_sys=True)
    else:
        _run_script(a.script, a.args, inst)


def _run_script(script: str, args: List[str], inst) -> None:  # type: ignore[no-untyped-def]
    """Runs ``script`` as ``python script.py`` would, rewritten when selected."""
    import types

    path = os.path.abspath(script)
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        sys.stderr.write(f"python -m pyrewrite run: can't open file {script!r}: {e}\n")
        raise SystemExit(2)
    sys.argv = [script] + args
    sys.path[0] = os.path.dirname(path)
    code = compile(source, path, "exec", dont_inherit=True)
    if inst.selects("__main__", path):
        code = inst.rewrite_module(code)
    main = types.ModuleType("__main__")
    main.__dict__.update({"__file__": path, "__builtins__": __builtins__, "__cached__": None})
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``python -m pyrewrite``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        run(argv[1:])
        return 0
    from . import _pyrewrite

    return _pyrewrite.cli_main(["pyrewrite"] + argv)


if __name__ == "__main__":
    sys.exit(main())
