"""pyrewrite: read, inspect, rewrite and instrument CPython bytecode.

The engine is Rust (the same one the ``pyrewrite`` command line runs); this
package hands it live code objects and ``.pyc`` files:

- :func:`rewrite` / :func:`patch`: run passes on a code object, or on a live
  function, class or module in place;
- :func:`dis` / :func:`info`: what ``dis.dis`` prints, and
  ``pyrewrite info --json`` data;
- :func:`read_pyc` / :func:`write_pyc`: ``.pyc`` files of any supported
  version;
- :func:`install`: an import hook; ``python -m pyrewrite run`` runs a
  program under it;
- :mod:`pyrewrite.hooks`: ready hooks for ``inject-hook``.

See docs/python.md.
"""

from ._pyrewrite import SUPPORTED_VERSIONS, __version__
from .api import Pipeline, PassSpec, PythonPass, Pyc, code_of_pyc, dis, info, passes, patch, read_pyc, rewrite, write_pyc
from .errors import Error, ParseError, PassError, Problem, UnsupportedError, UsageError, VerifyError
from .bytecode import UNSET, Bytecode, Compare, Handler, Instr, Label
from .importhook import Installation, install

__all__ = [
    "Bytecode",
    "Compare",
    "Handler",
    "Instr",
    "Label",
    "UNSET",
    "Error",
    "Installation",
    "ParseError",
    "PassError",
    "PassSpec",
    "PythonPass",
    "Pipeline",
    "Pyc",
    "SUPPORTED_VERSIONS",
    "UnsupportedError",
    "UsageError",
    "Problem",
    "VerifyError",
    "__version__",
    "code_of_pyc",
    "dis",
    "info",
    "install",
    "passes",
    "patch",
    "read_pyc",
    "rewrite",
    "write_pyc",
]
