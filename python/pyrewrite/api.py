"""The in-process API: rewrite, patch, disassemble and inspect live code.

Code objects go to the Rust engine as the bytes ``marshal.dumps`` gives and
come back the same way, so a live function takes exactly the path of a
``.pyc`` file: reader, passes, verifier, assembler. This module only turns
Python objects into code objects and back.
"""

import builtins
import importlib
import json
import marshal
import os
import sys
import types
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _pyrewrite
from .errors import UsageError

__all__ = [
    "Pipeline",
    "PassSpec",
    "PythonPass",
    "rewrite",
    "patch",
    "dis",
    "info",
    "passes",
    "read_pyc",
    "write_pyc",
    "Pyc",
]

#: One pass: its name, or ``(name, params)`` with params as Python values.
PassSpec = Union[str, Tuple[str, Optional[Dict[str, Any]]]]

HOST = sys.version_info[:2]


#: A pass written in Python: called with each code object's Bytecode
#: (children before their parent), it edits it in place and returns None,
#: or returns a new Bytecode.
PythonPass = Callable[[Any], Any]


class Pipeline:
    """A checked list of passes, reusable for many code objects.

    ``Pipeline([("swap-const", {"from": 1, "to": 10})])`` or
    ``Pipeline(config="pipeline.toml")``. An unknown pass or parameter, or a
    value of the wrong type, raises :class:`pyrewrite.UsageError` (a
    ``ValueError``) listing the valid ones. A callable in the list is a
    pass written in Python (:data:`PythonPass`); it runs in its place among
    the built-in passes, and what it returns is verified like theirs.
    """

    __slots__ = ("_segments", "_material")

    def __init__(
        self,
        passes: Optional[Sequence[Union[PassSpec, PythonPass]]] = None,
        *,
        config: Union[str, "os.PathLike[str]", None] = None,
    ) -> None:
        if passes is not None and config is not None:
            raise UsageError("give either passes or config, not both")
        if config is not None:
            text, origin = _config_text(config)
            self._segments: List[Any] = [_pyrewrite.Pipeline(config=text, origin=origin)]
            self._material = text
            return
        specs = list(passes) if passes is not None else []
        self._segments = []
        run: List[Any] = []
        for p in specs:
            if callable(p):
                if run:
                    self._segments.append(_pyrewrite.Pipeline(run))
                    run = []
                self._segments.append(p)
            else:
                run.append(p)
        if run or not self._segments:
            self._segments.append(_pyrewrite.Pipeline(run))
        # NB: what the import hook's cache key is made of: equal passes
        # give equal keys in every process.
        self._material = repr([_pass_label(p) if callable(p) else p for p in specs])

    @classmethod
    def from_text(cls, passes: Sequence[Tuple[str, Dict[str, str]]]) -> "Pipeline":
        """A pipeline whose parameter values are command-line text
        (``{"from": "1"}`` as ``--param from=1``), parsed by each
        parameter's kind exactly as the ``pyrewrite`` command line does."""
        self = cls.__new__(cls)
        specs = [(name, dict(params)) for name, params in passes]
        self._segments = [_pyrewrite.Pipeline(specs, text=True)]
        self._material = repr(specs)
        return self

    @property
    def _core(self) -> Any:
        """The engine's pipeline, when every pass is a built-in one."""
        if len(self._segments) != 1 or callable(self._segments[0]):
            raise UsageError("this pipeline has passes written in Python: they run on live code objects only")
        return self._segments[0]

    @property
    def _runs_python(self) -> bool:
        """True when a pass is written in Python (given as a callable or as
        ``python = "module:function"`` in a config): its output depends on
        code pyrewrite cannot key a cache on."""
        return any(callable(s) or "python" in s.names for s in self._segments)

    def _engine(self) -> List[Any]:
        return [s for s in self._segments if not callable(s)]

    @property
    def names(self) -> List[str]:
        """The pass names, in run order (a Python pass by its qualified name)."""
        out: List[str] = []
        for s in self._segments:
            out.extend([_pass_label(s)] if callable(s) else s.names)
        return out

    def runtime_modules(self) -> List[str]:
        """Modules the rewritten code imports at run time (never instrument them)."""
        return [m for s in self._engine() for m in s.runtime_modules()]

    def stats(self) -> List[Dict[str, Any]]:
        """Per built-in pass: code objects seen and changed, over every rewrite so far."""
        return [{"pass": n, "code_objects": seen, "changed": changed} for s in self._engine() for n, seen, changed in s.stats()]

    def rewrite(self, code: types.CodeType) -> types.CodeType:
        """The rewritten copy of ``code`` (see :func:`rewrite`)."""
        if not isinstance(code, types.CodeType):
            raise TypeError(f"expected a code object, got {type(code).__name__}")
        qualname = getattr(code, "co_qualname", code.co_name)
        return self._rewrite_as(code, None if code.co_name == "<module>" else qualname)

    def _rewrite_as(self, code: types.CodeType, qualname: Optional[str]) -> types.CodeType:
        for s in self._segments:
            if callable(s):
                code = _run_python_pass(s, code)
            else:
                code = marshal.loads(s.rewrite(marshal.dumps(code), HOST, qualname))
        return code

    def _rewrite_marshal(self, data: bytes) -> Optional[bytes]:
        """The host's marshal bytes of a module rewritten, straight from
        bytes to bytes (no code object in between); None when the pipeline
        has passes written in Python, which need live code objects."""
        if len(self._segments) != 1 or callable(self._segments[0]):
            return None
        return self._segments[0].rewrite(data, HOST, None)

    def bind_runtime(self, globals_: Dict[str, Any]) -> None:
        """Binds the names the rewritten code loads (a hook) in ``globals_``
        (or in ``builtins`` for passes configured so)."""
        for s in self._engine():
            for name, module, attr, in_builtins in s.runtime_imports():
                mod = importlib.import_module(module)
                if mod is builtins and attr == name:
                    # NB: a `builtins:NAME` off switch: the flag itself,
                    # created off when missing (as each module's prologue does).
                    if not hasattr(builtins, name):
                        setattr(builtins, name, False)
                    continue
                # NB: an empty attr names the module itself (an off switch).
                value = getattr(mod, attr) if attr else mod
                if in_builtins:
                    setattr(builtins, name, value)
                else:
                    globals_[name] = value


def _pass_label(fn: Any) -> str:
    return "%s:%s" % (getattr(fn, "__module__", "?"), getattr(fn, "__qualname__", repr(fn)))


def _run_python_pass(fn: PythonPass, code: types.CodeType) -> types.CodeType:
    """Runs a Python pass on ``code`` and every code object nested in it,
    children first; each result is assembled and verified by ``to_code``."""
    from .bytecode import Bytecode
    from .errors import Error

    consts = list(code.co_consts)
    changed = False
    for i, k in enumerate(consts):
        if isinstance(k, types.CodeType):
            new = _run_python_pass(fn, k)
            if new is not k:
                consts[i], changed = new, True
    if changed:
        code = code.replace(co_consts=tuple(consts))
    bc = Bytecode.from_code(code)
    out = fn(bc)
    if out is None:
        out = bc
    if not isinstance(out, Bytecode):
        raise UsageError("pass %s returned %s, not a Bytecode or None" % (_pass_label(fn), type(out).__name__))
    try:
        return out.to_code()
    except Error as e:
        e.pass_name = e.pass_name or _pass_label(fn)
        e.code_object = e.code_object or getattr(code, "co_qualname", code.co_name)
        raise


def _python_pass_on_marshal(fn: PythonPass, data: bytes) -> Optional[bytes]:
    """A Python pass of an engine pipeline (``python = "module:function"``
    in a config): the marshalled code object ``data`` rewritten, or None
    when the pass changed nothing. Called by the compiled core."""
    code = marshal.loads(data)
    out = marshal.dumps(_run_python_pass(fn, code))
    return None if out == marshal.dumps(code) else out


def _config_text(config: Union[str, "os.PathLike[str]"]) -> Tuple[str, str]:
    """A config is TOML text when it has a newline or a table header, else a path."""
    if isinstance(config, str) and ("\n" in config or "[[" in config):
        return config, "<config>"
    path = os.fspath(config)
    with open(path, encoding="utf-8") as f:
        return f.read(), path


def _pipeline(passes: Union[Pipeline, Sequence[PassSpec], None], config: Any) -> Pipeline:
    if isinstance(passes, Pipeline):
        if config is not None:
            raise UsageError("give either a Pipeline or config, not both")
        return passes
    if passes is None and config is None:
        raise UsageError("no passes: give passes=[...] or config=...")
    return Pipeline(passes, config=config)


def rewrite(
    code: types.CodeType,
    passes: Union[Pipeline, Sequence[PassSpec], None] = None,
    *,
    config: Union[str, "os.PathLike[str]", None] = None,
) -> types.CodeType:
    """Returns ``code`` rewritten by ``passes`` (or the TOML pipeline ``config``).

    ``passes`` is a list of names or ``(name, params)`` pairs, e.g.
    ``[("swap-const", {"from": 1, "to": 10})]``. Every nested code object
    is rewritten too; the verifier checks each one a pass changed. On error a
    :class:`pyrewrite.Error` is raised and nothing changes. Names the
    rewritten code needs at run time (an injected hook) are not bound: use
    :func:`patch`, or ``Pipeline.bind_runtime(func.__globals__)``.
    """
    return _pipeline(passes, config).rewrite(code)


def _functions(obj: Any) -> Iterable[types.FunctionType]:
    """The functions defined in a class or module (methods, static and class
    methods, property accessors, nested classes), each once."""
    seen = set()
    stack = [obj]
    while stack:
        holder = stack.pop()
        for value in list(vars(holder).values()):
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                for f in (value.fget, value.fset, value.fdel):
                    if isinstance(f, types.FunctionType) and id(f) not in seen:
                        seen.add(id(f))
                        yield f
            elif isinstance(value, types.FunctionType):
                # NB: a module patches only its own functions, not imported ones.
                if isinstance(obj, types.ModuleType) and value.__module__ != obj.__name__:
                    continue
                if id(value) not in seen:
                    seen.add(id(value))
                    yield value
            elif isinstance(value, type) and value.__module__ == getattr(obj, "__module__", getattr(obj, "__name__", None)):
                if value.__qualname__.startswith(getattr(holder, "__qualname__", "")) and id(value) not in seen:
                    seen.add(id(value))
                    stack.append(value)


def patch(
    obj: Any,
    passes: Union[Pipeline, Sequence[PassSpec], None] = None,
    *,
    config: Union[str, "os.PathLike[str]", None] = None,
) -> Any:
    """Rewrites a live function in place (its ``__code__``) and returns it.

    Closures, defaults, annotations and the function's identity are kept.
    For a class or a module, every function defined in it is patched
    (methods, static and class methods, properties, nested classes). A
    bound method patches its function. All or nothing: if any function
    fails, none is changed and the error is raised.
    """
    pipeline = _pipeline(passes, config)
    target = obj.__func__ if isinstance(obj, types.MethodType) else obj
    if isinstance(target, types.FunctionType):
        funcs = [target]
    elif isinstance(target, (type, types.ModuleType)):
        funcs = list(_functions(target))
    else:
        raise TypeError(f"patch() takes a function, method, class or module, not {type(obj).__name__}")
    # NB: rewrite everything first, assign after: a failure changes nothing.
    new = [(f, pipeline._rewrite_as(f.__code__, f.__qualname__)) for f in funcs]
    for f, code in new:
        if code.co_freevars != f.__code__.co_freevars:
            raise UsageError(f"{f.__qualname__}: the passes changed the free variables; cannot patch a closure")
    for f, code in new:
        pipeline.bind_runtime(f.__globals__)
        f.__code__ = code
    return obj


def _unwrap(obj: Any) -> Any:
    """What ``dis.dis`` looks at: a method's function, a function's,
    generator's or coroutine's code object, or the object itself."""
    if hasattr(obj, "__func__"):
        obj = obj.__func__
    for attr in ("__code__", "gi_code", "ag_code", "cr_code"):
        if hasattr(obj, attr):
            return getattr(obj, attr)
    return obj


def _code_of(obj: Any) -> Optional[types.CodeType]:
    """The code object of a function-like object, or of source text."""
    x = _unwrap(obj)
    if isinstance(x, types.CodeType):
        return x
    if isinstance(x, str):
        # NB: as dis does: an expression if it parses as one, else statements.
        try:
            return compile(x, "<dis>", "eval")
        except SyntaxError:
            return compile(x, "<dis>", "exec")
    return None


_HAVE_CODE = (types.MethodType, types.FunctionType, types.CodeType, classmethod, staticmethod, type)


def dis(obj: Any) -> str:
    """The text ``dis.dis(obj)`` prints on this interpreter, from pyrewrite's
    disassembler: functions, methods, code objects, generators, coroutines,
    async generators, source strings, and classes and modules (each of their
    functions and classes in name order, as ``dis`` does)."""
    x = _unwrap(obj)
    if hasattr(x, "__dict__"):
        parts = []
        for name, value in sorted(vars(x).items()):
            if isinstance(value, _HAVE_CODE):
                parts.append(f"Disassembly of {name}:\n")
                try:
                    parts.append(dis(value))
                except TypeError as e:
                    parts.append(f"Sorry: {e}\n")
                parts.append("\n")
        return "".join(parts)
    code = _code_of(x)
    if code is None:
        raise TypeError(f"don't know how to disassemble {type(obj).__name__} objects")
    codes = _preorder(code)
    reprs = [[repr(k) if _has_frozenset(k) else None for k in c.co_consts] for c in codes]
    return _pyrewrite.dis_code(marshal.dumps(code), HOST, [id(c) for c in codes], reprs)


def _preorder(code: types.CodeType) -> List[types.CodeType]:
    """Every code object under ``code``, pre-order over ``co_consts``."""
    out = []
    stack = [code]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(reversed([k for k in c.co_consts if isinstance(k, types.CodeType)]))
    return out


def _has_frozenset(value: Any) -> bool:
    """True for a constant whose repr shows a frozenset: its iteration order
    is the live object's (string hashes differ per process), so ``dis``
    shows the live ``repr()``, and so does :func:`dis`."""
    if isinstance(value, frozenset):
        return True
    return isinstance(value, tuple) and any(_has_frozenset(v) for v in value)


def info(obj: Any) -> Dict[str, Any]:
    """The data of ``pyrewrite info --json`` for a live object (its code
    objects; a :class:`Pyc` also gives the header)."""
    if isinstance(obj, Pyc):
        return json.loads(obj._core.info_json())
    code = _code_of(obj)
    if code is None:
        raise TypeError(f"info() takes a function, method, code object or Pyc, not {type(obj).__name__}")
    return {
        "version": "%d.%d" % HOST,
        "code_objects": json.loads(_pyrewrite.info_code_json(marshal.dumps(code), HOST)),
    }


def passes() -> List[Dict[str, Any]]:
    """Every available pass: name, summary and declared parameters."""
    return [
        {
            "name": name,
            "summary": summary,
            "params": [{"name": p, "kind": k, "default": d, "help": h} for p, k, d, h in params],
        }
        for name, summary, params in _pyrewrite.pass_list()
    ]


class Pyc:
    """A ``.pyc`` file of any supported CPython version, parsed.

    ``Pyc(data, path=None)`` parses bytes; :func:`read_pyc` reads a file.
    A corrupt file raises :class:`pyrewrite.ParseError` naming the file and
    the byte offset.
    """

    __slots__ = ("_core",)

    def __init__(self, data: bytes, path: Optional[str] = None) -> None:
        self._core = _pyrewrite.Pyc(bytes(data), path)

    @property
    def version(self) -> Tuple[int, int]:
        """The CPython version the file is for, as ``(major, minor)``."""
        return tuple(self._core.version)  # type: ignore[return-value]

    @property
    def path(self) -> Optional[str]:
        """The file it was read from, if any."""
        return self._core.path

    @property
    def flags(self) -> int:
        """The header's flags word (PEP 552)."""
        return self._core.flags

    def rewrite(
        self,
        passes: Union[Pipeline, Sequence[PassSpec], None] = None,
        *,
        config: Union[str, "os.PathLike[str]", None] = None,
    ) -> "Pyc":
        """Rewrites every code object in place and returns ``self``; on error
        the file is left as it was."""
        self._core.rewrite(_pipeline(passes, config)._core)
        return self

    def to_bytes(self) -> bytes:
        """The file's bytes: the header as read, then the marshalled module."""
        return self._core.to_bytes()

    def code_bytes(self) -> bytes:
        """The marshalled module, without the header."""
        return self._core.code_bytes()

    def dis(self) -> str:
        """What that version's ``dis.dis`` prints for the module."""
        return self._core.dis()

    def __repr__(self) -> str:
        return "<pyrewrite.Pyc %s for Python %d.%d>" % ((self.path or "(bytes)",) + self.version)


def read_pyc(path: Union[str, "os.PathLike[str]"]) -> Pyc:
    """Reads a ``.pyc`` of any supported CPython version (not only the host's).

    The result has ``version``, ``rewrite(pipeline)``, ``dis()``,
    ``to_bytes()``; :func:`write_pyc` writes it back. A corrupt file raises
    :class:`pyrewrite.ParseError` naming the file and the byte offset.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    return Pyc(data, path)


def write_pyc(pyc: Pyc, path: Union[str, "os.PathLike[str]"]) -> None:
    """Writes ``pyc`` to ``path`` atomically (a temporary file, then a rename):
    on any error the old file, if any, is left as it was."""
    data = pyc.to_bytes()
    path = os.fspath(path)
    tmp = f"{path}.{os.getpid()}.pyrewrite-tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def code_of_pyc(pyc: Pyc) -> types.CodeType:
    """The module code object of a ``.pyc`` for this interpreter's version."""
    if tuple(pyc.version) != HOST:
        raise UsageError("a .pyc for Python %d.%d cannot be loaded by Python %d.%d" % (tuple(pyc.version) + HOST))
    return marshal.loads(pyc.code_bytes())
