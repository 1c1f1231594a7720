"""The import hook: rewrite modules as they are imported.

``install()`` puts a finder first on ``sys.meta_path``. For each selected
module found on the file system it swaps the loader for one that takes the
code CPython would run (from its own ``__pycache__`` entry, or compiled from
source, or read from a sourceless ``.pyc``), rewrites it with the pipeline,
and keeps the result in a cache file of its own beside CPython's:
``__pycache__/mod.cpython-312.pyrewrite-<key>.pyc``. CPython's own cache
files are never written with rewritten code, so runs without the hook stay
untouched. The key changes with the passes and pyrewrite's version; the
source's mtime and size in the header invalidate an entry when the source
changes, exactly as CPython's own timestamp-based ``.pyc`` files do.
"""

import _imp
import fnmatch
import hashlib
import importlib.machinery as machinery
import importlib.util
import marshal
import os
import sys
import sysconfig
import threading
from importlib import _bootstrap_external as _bx  # type: ignore[attr-defined]
from typing import Any, Iterable, List, Optional, Sequence, Union

from . import _pyrewrite
from .api import Pipeline, PassSpec, _pipeline

__all__ = ["install", "Installation"]


def _library_dirs() -> List[str]:
    """The standard library and site-packages: not instrumented unless asked."""
    paths = sysconfig.get_paths()
    dirs = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return sorted(os.path.normcase(os.path.abspath(d)) + os.sep for d in dirs if d)


class Installation:
    """An installed import hook. ``uninstall()`` removes it; it is also a
    context manager. ``rewritten`` lists the modules it rewrote, ``cached``
    those served from its cache, ``failed`` those it left as they were
    (``(module, error)``; see ``on_error``)."""

    def __init__(
        self,
        pipeline: Pipeline,
        include: Sequence[str],
        exclude: Sequence[str],
        cache: bool,
        on_error: str,
        key_material: str,
    ) -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError("on_error must be 'raise' or 'skip'")
        self.pipeline = pipeline
        self.include = list(include)
        runtime = pipeline.runtime_modules()
        # NB: pyrewrite's own modules and the hooks' modules are never
        # rewritten: a hook that calls itself recurses.
        self.exclude = list(exclude) + ["pyrewrite", "pyrewrite.*"] + runtime + [m + ".*" for m in runtime]
        # NB: a pass written in Python can change without its name changing,
        # so nothing it produced is cached.
        self.cache = cache and not pipeline._runs_python
        self.on_error = on_error
        self.key = hashlib.sha256(f"{_pyrewrite.__version__}\0{key_material}".encode()).hexdigest()[:16]
        self.rewritten: List[str] = []
        self.cached: List[str] = []
        self.failed: List[Any] = []
        self._library = _library_dirs()
        self._finder = _Finder(self)
        self._lock = threading.Lock()
        sys.meta_path.insert(0, self._finder)

    def uninstall(self) -> None:
        """Removes the hook (modules already imported stay rewritten)."""
        try:
            sys.meta_path.remove(self._finder)
        except ValueError:
            pass

    @property
    def installed(self) -> bool:
        """True while the finder is on ``sys.meta_path``."""
        return self._finder in sys.meta_path

    def __enter__(self) -> "Installation":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.uninstall()

    def selects(self, name: str, path: Optional[str]) -> bool:
        """True when module ``name`` (at ``path``) is to be rewritten."""
        if any(fnmatch.fnmatchcase(name, g) for g in self.exclude):
            return False
        if self.include:
            return any(fnmatch.fnmatchcase(name, g) for g in self.include)
        if path is None:
            return False
        p = os.path.normcase(os.path.abspath(path))
        return not any(p.startswith(d) for d in self._library)

    def cache_path(self, source_path: str) -> Optional[str]:
        """Where the rewritten code of ``source_path`` is kept, or None."""
        if not self.cache or sys.dont_write_bytecode:
            return None
        try:
            standard = importlib.util.cache_from_source(source_path)
        except NotImplementedError:  # no cache_tag
            return None
        return standard[: -len(".pyc")] + f".pyrewrite-{self.key}.pyc"

    def rewrite_module(self, code: Any) -> Any:
        return self.pipeline._rewrite_as(code, None)

    def note(self, kind: str, name: str) -> None:
        with self._lock:
            getattr(self, kind).append(name)


class _Finder:
    """Finds selected modules with the standard path finder and swaps in a
    rewriting loader; everything else goes to the next finder."""

    def __init__(self, inst: Installation) -> None:
        self._inst = inst

    def find_spec(self, fullname: str, path: Optional[Iterable[str]] = None, target: Any = None) -> Any:
        inst = self._inst
        # NB: built-in and frozen modules have no file to rewrite; asking
        # the path finder about them would scan every sys.path entry.
        if fullname in sys.builtin_module_names or _imp.is_frozen(fullname):
            return None
        if any(fnmatch.fnmatchcase(fullname, g) for g in inst.exclude):
            return None
        spec = machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or not spec.has_location or not inst.selects(fullname, spec.origin):
            return None
        kind = type(spec.loader)
        if kind is machinery.SourceFileLoader:
            spec.loader = _SourceLoader(fullname, spec.origin, inst)
        elif kind is machinery.SourcelessFileLoader:
            spec.loader = _SourcelessLoader(fullname, spec.origin, inst)
        else:  # extension modules, namespace packages, zip imports
            return None
        return spec

    def invalidate_caches(self) -> None:
        pass


class _SourceLoader(machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, inst: Installation) -> None:
        super().__init__(fullname, path)
        self._inst = inst

    def get_code(self, fullname: str) -> Any:
        inst = self._inst
        cache = inst.cache_path(self.path)
        st = None
        if cache is not None:
            try:
                st = self.path_stats(self.path)
                with open(cache, "rb") as f:
                    data = f.read()
                exc_details = {"name": fullname, "path": cache}
                flags = _bx._classify_pyc(data, fullname, exc_details)
                if flags == 0:
                    _bx._validate_timestamp_pyc(data, int(st["mtime"]), st["size"], fullname, exc_details)
                    code = _bx._compile_bytecode(memoryview(data)[16:], name=fullname, bytecode_path=cache, source_path=self.path)
                    inst.note("cached", fullname)
                    return code
            except (OSError, ImportError, EOFError, ValueError, TypeError):
                pass
        if st is not None or cache is None:
            fast = self._from_standard_pyc(fullname, cache, st)
            if fast is not None:
                return fast
        # NB: CPython's own code for the module: from its valid __pycache__
        # entry, or compiled (and that entry written, as a plain import would).
        code = super().get_code(fullname)
        new = self._rewrite(fullname, code)
        if cache is not None and new is not code and st is not None:
            data = _bx._code_to_timestamp_pyc(new, int(st["mtime"]), st["size"])
            try:
                _bx._write_atomic(cache, data, _bx._calc_mode(self.path))
            except OSError:
                pass  # a read-only tree: run without the cache, as CPython does
        return new

    def _rewrite(self, fullname: str, code: Any) -> Any:
        return _rewrite_or_skip(self._inst, fullname, code)

    def _from_standard_pyc(self, fullname: str, cache: Optional[str], st: Any) -> Any:
        """The rewritten code of a module whose CPython cache entry is valid,
        rewritten from that entry's bytes and written to our cache as they
        come out of the engine: no ``marshal.loads``/``dumps`` of the
        original. None when there is no such entry (or the pipeline has
        Python passes): the caller then takes the general path."""
        inst = self._inst
        try:
            if st is None:
                st = self.path_stats(self.path)
            standard = importlib.util.cache_from_source(self.path)
            with open(standard, "rb") as f:
                data = f.read()
            exc_details = {"name": fullname, "path": standard}
            if _bx._classify_pyc(data, fullname, exc_details) != 0:
                return None  # hash-based: CPython's loader decides
            _bx._validate_timestamp_pyc(data, int(st["mtime"]), st["size"], fullname, exc_details)
        except (OSError, ImportError, EOFError, ValueError, TypeError, NotImplementedError):
            return None
        from .errors import Error

        try:
            new = inst.pipeline._rewrite_marshal(bytes(memoryview(data)[16:]))
        except Error as e:
            if inst.on_error == "raise":
                raise ImportError(f"pyrewrite could not rewrite {fullname}: {e}", name=fullname) from e
            inst.note("failed", (fullname, e))
            return marshal.loads(memoryview(data)[16:])  # unchanged, as skip says
        if new is None:
            return None
        code = marshal.loads(new)
        inst.note("rewritten", fullname)
        if cache is not None:
            header = _bx.MAGIC_NUMBER + b"".join((x & 0xFFFFFFFF).to_bytes(4, "little") for x in (0, int(st["mtime"]), st["size"]))
            try:
                _bx._write_atomic(cache, header + new, _bx._calc_mode(self.path))
            except OSError:
                pass  # a read-only tree: run without the cache, as CPython does
        return code


class _SourcelessLoader(machinery.SourcelessFileLoader):
    def __init__(self, fullname: str, path: str, inst: Installation) -> None:
        super().__init__(fullname, path)
        self._inst = inst

    def get_code(self, fullname: str) -> Any:
        return _rewrite_or_skip(self._inst, fullname, super().get_code(fullname))


def _rewrite_or_skip(inst: Installation, fullname: str, code: Any) -> Any:
    from .errors import Error

    try:
        new = inst.rewrite_module(code)
    except Error as e:
        if inst.on_error == "raise":
            raise ImportError(f"pyrewrite could not rewrite {fullname}: {e}", name=fullname) from e
        inst.note("failed", (fullname, e))
        return code
    inst.note("rewritten", fullname)
    return new


def install(
    passes: Union[Pipeline, Sequence[PassSpec], None] = None,
    *,
    config: Union[str, "os.PathLike[str]", None] = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    cache: bool = True,
    on_error: str = "raise",
) -> Installation:
    """Rewrites modules with ``passes`` (or the TOML pipeline ``config``) as
    they are imported, and returns the :class:`Installation`.

    ``include`` and ``exclude`` are globs over module names (``myapp``,
    ``myapp.*``). Without ``include``, every module outside the standard
    library and site-packages is rewritten. pyrewrite itself and the
    modules the passes import at run time (a hook's module) never are.
    Modules imported before ``install()`` are not re-imported. A module a
    pass refuses raises ``ImportError`` (``on_error="raise"``) or is
    imported unchanged and listed in ``failed`` (``on_error="skip"``).
    """
    pipeline = _pipeline(passes, config)
    return Installation(pipeline, include, exclude, cache, on_error, pipeline._material)
