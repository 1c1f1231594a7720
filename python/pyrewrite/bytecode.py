"""Bytecode you can edit: ``Bytecode``, ``Instr``, ``Label``.

The names and idioms are those of the ``bytecode`` library, so code written
for it carries over; the engine behind them is pyrewrite's. ``from_code``
lifts with pyrewrite's lifter; ``to_code`` goes through its assembler (stack
size, line table, exception table, EXTENDED_ARG fixpoint) and its verifier,
so code that could crash the interpreter raises :class:`pyrewrite.VerifyError`
naming the instruction instead. This module only converts arguments between
Python values and the engine's form (constants, names, labels).
"""

import enum
import marshal
import sys
import types
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

from . import _pyrewrite
from .errors import UsageError

__all__ = ["Bytecode", "Compare", "Instr", "Label", "Handler", "UNSET"]

HOST = sys.version_info[:2]

#: The argument of an instruction that takes none.
UNSET: Any = _pyrewrite.UNSET

# NB: native classes, so that lifting builds them without running Python
# code per instruction and assembling reads them without attribute lookups.
Instr = _pyrewrite.Instr
Label = _pyrewrite.Label


class Compare(enum.IntEnum):
    """A ``COMPARE_OP`` operator (the ``bytecode`` library's enum); lifted
    comparisons read as these, and a string symbol (``"<"``) works too."""

    LT = 0
    LE = 1
    EQ = 2
    NE = 3
    GT = 4
    GE = 5


class Handler(NamedTuple):
    """The exception handler covering an instruction (CPython 3.11+): where
    to go, the stack depth to unwind to, and whether the offset of the
    raising instruction is pushed too (``lasti``). Before 3.11 handlers are
    ``SETUP_FINALLY``-style instructions whose argument is the handler's
    ``Label``."""

    target: Label
    depth: int
    lasti: bool = False


CO_OPTIMIZED, CO_NEWLOCALS, CO_VARARGS, CO_VARKEYWORDS = 0x1, 0x2, 0x4, 0x8


class Bytecode(list):
    """A code object as a mutable list of :class:`Instr` and :class:`Label`,
    with its attributes: ``name``, ``qualname``, ``filename``,
    ``first_lineno``, ``argcount``, ``posonlyargcount``,
    ``kwonlyargcount``, ``flags``, ``argnames``, ``cellvars``,
    ``freevars``. ``Bytecode()`` starts an empty function (flags
    ``CO_OPTIMIZED | CO_NEWLOCALS``) to build from scratch."""

    def __init__(self, instructions: Iterable[Union[Instr, Label]] = ()) -> None:
        super().__init__(instructions)
        self.name = "<pyrewrite>"
        self.qualname: Optional[str] = None
        self.filename = "<pyrewrite>"
        self.first_lineno = 1
        self.argcount = 0
        self.posonlyargcount = 0
        self.kwonlyargcount = 0
        self.flags = CO_OPTIMIZED | CO_NEWLOCALS
        self.argnames: List[str] = []
        self.cellvars: List[str] = []
        self.freevars: List[str] = []
        self._template: Optional[types.CodeType] = None
        self._consts: List[Any] = []
        # NB: the items and attributes as lifted, to tell an untouched list
        # (see to_code).
        self._lifted: Tuple[Any, ...] = ()
        self._lifted_attrs: Tuple[Any, ...] = ()

    @classmethod
    def from_code(cls, code: types.CodeType) -> "Bytecode":
        """Lifts ``code`` (a code object of this interpreter)."""
        if not isinstance(code, types.CodeType):
            raise TypeError("expected a code object, got %s" % type(code).__name__)
        self = cls()
        self._template = code
        self._consts = list(code.co_consts)
        self.name = code.co_name
        self.qualname = getattr(code, "co_qualname", None)
        self.filename = code.co_filename
        self.first_lineno = code.co_firstlineno
        self.argcount = code.co_argcount
        self.posonlyargcount = code.co_posonlyargcount
        self.kwonlyargcount = code.co_kwonlyargcount
        self.flags = code.co_flags
        nargs = code.co_argcount + code.co_kwonlyargcount
        nargs += bool(code.co_flags & CO_VARARGS) + bool(code.co_flags & CO_VARKEYWORDS)
        self.argnames = list(code.co_varnames[:nargs])
        self.cellvars = list(code.co_cellvars)
        self.freevars = list(code.co_freevars)
        _pyrewrite.lift_into(self, marshal.dumps(code), code.co_consts, code.co_names, Compare, Handler)
        self._lifted = tuple(self)
        self._lifted_attrs = self._attrs()
        return self

    def _attrs(self) -> Tuple[Any, ...]:
        """The attributes a code object takes from this list's fields."""
        return (self.name, self.qualname, self.filename, self.first_lineno, self.argcount, self.posonlyargcount,
                self.kwonlyargcount, self.flags, tuple(self.argnames), tuple(self.cellvars), tuple(self.freevars))

    def _template_code(self) -> types.CodeType:
        """The code object supplying what the list does not: the lifted one,
        or a fresh empty function for code built from scratch."""
        base = self._template
        if base is None:
            module = compile("def f():\n    pass\n", self.filename, "exec")
            base = next(c for c in module.co_consts if isinstance(c, types.CodeType))
        changes: Dict[str, Any] = {}
        want = {
            "co_name": self.name,
            "co_filename": self.filename,
            "co_firstlineno": self.first_lineno,
            "co_argcount": self.argcount,
            "co_posonlyargcount": self.posonlyargcount,
            "co_kwonlyargcount": self.kwonlyargcount,
            "co_flags": self.flags,
            "co_cellvars": tuple(self.cellvars),
            "co_freevars": tuple(self.freevars),
        }
        if HOST >= (3, 11):
            want["co_qualname"] = self.qualname or self.name
        nargs = self.argcount + self.kwonlyargcount + bool(self.flags & CO_VARARGS) + bool(self.flags & CO_VARKEYWORDS)
        if list(base.co_varnames[:nargs]) != list(self.argnames) or len(self.argnames) != nargs:
            if len(self.argnames) != nargs:
                raise UsageError("argnames has %d names; argcount, kwonlyargcount and flags say %d" % (len(self.argnames), nargs))
            want["co_varnames"] = tuple(self.argnames) + tuple(v for v in base.co_varnames[nargs:] if v not in self.argnames)
            want["co_nlocals"] = len(want["co_varnames"])
        for k, v in want.items():
            if getattr(base, k) != v:
                changes[k] = v
        return base.replace(**changes) if changes else base

    def to_code(self) -> types.CodeType:
        """Assembles and verifies the list into a code object.

        Raises :class:`pyrewrite.VerifyError` (with ``instruction``, the
        index of the offending item) for code that could crash the
        interpreter, and :class:`pyrewrite.UsageError` for an argument that
        does not fit its instruction.

        A list still exactly as ``from_code`` lifted it (same items, no
        instruction or attribute changed) gives back the code object it was
        lifted from: there is nothing to assemble, and a Python pass that
        changes a few functions of a module pays only for those."""
        if self._template is not None and self._attrs() == self._lifted_attrs and _pyrewrite.untouched(self, self._lifted):
            return self._template
        consts = list(self._consts)
        keys: List[Any] = []

        def const_index(value: Any) -> int:
            # NB: called for a constant that is not one of the entries
            # itself: an equal entry (by _const_key), else a new one.
            if len(keys) < len(consts):
                keys.extend(_const_key(c) for c in consts[len(keys) :])
            key = _const_key(value)
            try:
                return keys.index(key)
            except ValueError:
                consts.append(value)
                keys.append(key)
                return len(consts) - 1

        return marshal.loads(_pyrewrite.assemble_list(self, self._template_code(), consts, const_index, Compare))


def _const_key(value: Any) -> Tuple[Any, ...]:
    """Which constants are one entry of co_consts: same type and value
    (0.0 and -0.0, 1 and True stay apart); code objects by identity."""
    t = type(value)
    if t in (tuple, frozenset):
        return (t, tuple(sorted((_const_key(v) for v in value), key=repr)) if t is frozenset else tuple(_const_key(v) for v in value))
    if t in (float, complex):
        return (t, repr(value))
    if t is types.CodeType:
        return (t, id(value))
    return (t, value)
