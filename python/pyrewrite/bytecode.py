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
import opcode
import sys
import types
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

from . import _pyrewrite
from .errors import UsageError

__all__ = ["Bytecode", "Compare", "Instr", "Label", "Handler", "UNSET"]

HOST = sys.version_info[:2]
_KINDS: Dict[str, str] = _pyrewrite.arg_kinds(HOST)


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSET"


#: The argument of an instruction that takes none.
UNSET: Any = _Unset()


class Compare(enum.IntEnum):
    """A ``COMPARE_OP`` operator (the ``bytecode`` library's enum); lifted
    comparisons read as these, and a string symbol (``"<"``) works too."""

    LT = 0
    LE = 1
    EQ = 2
    NE = 3
    GT = 4
    GE = 5


class Label:
    """A place in the instruction list: jump targets and handlers point at it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<Label %#x>" % id(self)


class Handler(NamedTuple):
    """The exception handler covering an instruction (CPython 3.11+): where
    to go, the stack depth to unwind to, and whether the offset of the
    raising instruction is pushed too (``lasti``). Before 3.11 handlers are
    ``SETUP_FINALLY``-style instructions whose argument is the handler's
    ``Label``."""

    target: Label
    depth: int
    lasti: bool = False


class Instr:
    """One instruction: ``Instr(name, arg=UNSET, *, lineno=None, ...)``.

    ``arg`` is a Python value: the constant itself (``LOAD_CONST``), a name
    (``LOAD_GLOBAL`` 3.11+ and ``LOAD_ATTR`` 3.12+ take ``(flag, name)``,
    the flag being "push NULL" / "load method"; ``LOAD_SUPER_ATTR``
    ``(method, two_args, name)``), a local, cell or free variable by name
    (``(a, b)`` for the 3.13 pair opcodes), a :class:`Label` for jumps, a
    comparison by symbol (``"<"``) or raw number, a 3.11+ binary operator by
    symbol (``"+"``) or number, or an int. ``lineno=None`` means no line
    (3.10+; on 3.8/3.9 the previous line). ``handler`` is the 3.11+
    exception handler (:class:`Handler`) covering it.
    """

    __slots__ = ("name", "arg", "lineno", "end_lineno", "col_offset", "end_col_offset", "handler", "_extra")

    def __init__(
        self,
        name: str,
        arg: Any = UNSET,
        *,
        lineno: Optional[int] = None,
        end_lineno: Optional[int] = None,
        col_offset: Optional[int] = None,
        end_col_offset: Optional[int] = None,
        handler: Optional[Handler] = None,
    ) -> None:
        if name not in _KINDS:
            raise UsageError("no opcode %r in Python %d.%d" % ((name,) + HOST))
        self.name = name
        self.arg = arg
        self.lineno = lineno
        self.end_lineno = end_lineno
        self.col_offset = col_offset
        self.end_col_offset = end_col_offset
        self.handler = handler
        # (starts_line, EXTENDED_ARG count, variable index, 3.8/3.9 empty
        # line records): round-trip details of lifted code.
        self._extra: Tuple[bool, int, Optional[int], Optional[int]] = (False, 0, None, None)

    @property
    def location(self) -> Tuple[Optional[int], Optional[int], Optional[int], Optional[int]]:
        return (self.lineno, self.end_lineno, self.col_offset, self.end_col_offset)

    def _key(self) -> Tuple[Any, ...]:
        return (self.name, self.arg, self.lineno, self.handler)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Instr) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.name, self.lineno))

    def __repr__(self) -> str:
        arg = "" if self.arg is UNSET else " %r" % (self.arg,)
        return "<%s%s lineno=%s>" % (self.name, arg, self.lineno)


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
        labels: Dict[int, Label] = {}

        def label(n: int) -> Label:
            return labels.setdefault(n, Label())

        for item in _pyrewrite.lift_items(marshal.dumps(code), HOST):
            if item[0] == "label":
                self.append(label(item[1]))
                continue
            name, kind, value, loc, handler, extra = item
            if kind == "const":
                arg = code.co_consts[value]
            elif kind == "name":
                s, flags, bits = value
                arg = s if bits == 0 else tuple(bool(flags >> b & 1) for b in range(bits)) + (s,)
            elif kind == "jump":
                arg = label(value)
            elif kind == "none":
                arg = UNSET
            elif kind == "compare" and isinstance(value, str):
                # NB: 3.8's cmp_op also has in, is, "exception match": those stay symbols.
                k = opcode.cmp_op.index(value)
                arg = Compare(k) if k <= Compare.GE else value
            else:
                arg = value
            ins = Instr(name, arg, lineno=loc[0], end_lineno=loc[1], col_offset=loc[2], end_col_offset=loc[3])
            if handler is not None:
                ins.handler = Handler(label(handler[0]), handler[1], handler[2])
            ins._extra = tuple(extra)
            self.append(ins)
        return self

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
        does not fit its instruction."""
        consts = list(self._consts)
        keys = [_const_key(c) for c in consts]
        labels: Dict[int, int] = {}
        items: List[Tuple[Any, ...]] = []
        for k, x in enumerate(self):
            if isinstance(x, Label):
                items.append(("label", labels.setdefault(id(x), len(labels))))
            elif isinstance(x, Instr):
                items.append(_item(k, x, consts, keys, labels))
            else:
                raise UsageError("item %d is a %s, not an Instr or a Label" % (k, type(x).__name__), instruction=k)
        template = self._template_code()
        try:
            payload = marshal.dumps((template, tuple(consts)))
        except ValueError as e:
            raise UsageError("a constant cannot be stored in a code object: %s" % e) from None
        return marshal.loads(_pyrewrite.assemble_items(payload, HOST, items))


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


def _item(k: int, ins: Instr, consts: List[Any], keys: List[Any], labels: Dict[int, int]) -> Tuple[Any, ...]:
    """One instruction in the engine's form."""
    kind = _KINDS.get(ins.name)
    if kind is None:
        raise UsageError("item %d: no opcode %r in Python %d.%d" % ((k, ins.name) + HOST), instruction=k)
    arg = ins.arg
    if kind == "const":
        if arg is UNSET:
            raise UsageError("item %d: %s needs a constant" % (k, ins.name), instruction=k)
        # NB: the very object first (lifted constants keep their entry, even
        # equal ones such as two NaNs), then an equal one, else a new entry.
        value = next((i for i, c in enumerate(consts) if c is arg), None)
        if value is None:
            key = _const_key(arg)
            try:
                value = keys.index(key)
            except ValueError:
                consts.append(arg)
                keys.append(key)
                value = len(consts) - 1
    elif kind == "name":
        if isinstance(arg, tuple):
            *flags, name = arg
            value = (name, sum(1 << b for b, f in enumerate(flags) if f))
        else:
            value = (arg, 0)
    elif kind == "jump":
        if not isinstance(arg, Label):
            raise UsageError("item %d: %s needs a Label, got %r" % (k, ins.name, arg), instruction=k)
        value = labels.setdefault(id(arg), len(labels))
    elif kind == "none":
        kind, value = ("none", None) if arg is UNSET or arg is None else ("int", arg)
    elif kind == "compare" and isinstance(arg, Compare):
        value = opcode.cmp_op[arg]
    else:
        if arg is UNSET:
            raise UsageError("item %d: %s needs an argument" % (k, ins.name), instruction=k)
        value = arg
    handler = None
    if ins.handler is not None:
        h = ins.handler
        handler = (labels.setdefault(id(h.target), len(labels)), h.depth, h.lasti)
    return (ins.name, kind, value, ins.location, handler, ins._extra)
