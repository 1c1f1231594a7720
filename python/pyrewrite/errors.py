"""The exceptions pyrewrite raises.

Every error of the engine is a :class:`Error` and says where it happened:
``path`` (the file, when there is one), ``offset`` (the byte offset in the
marshalled data), ``pass_name`` and ``code_object`` (the pass and the
qualified name of the code object it was working on), ``instruction`` (the
index in a :class:`pyrewrite.Bytecode` list), ``valid`` (for an unknown
pass or parameter, the names that exist), ``problems`` (for a
:class:`VerifyError`, each :class:`Problem` the verifier found). Attributes
that do not apply are ``None`` (``problems``: empty). Whatever raised, the
object you passed is unchanged.
"""

from typing import NamedTuple, Optional, Tuple

__all__ = [
    "Error",
    "ParseError",
    "PassError",
    "Problem",
    "VerifyError",
    "UnsupportedError",
    "UsageError",
]


class Problem(NamedTuple):
    """One rule the verifier found broken (see docs/verifier.md)."""

    #: The rule's name, as ``pyrewrite verify`` prints it (``"stack-kind"``).
    rule: str
    #: What exactly is wrong.
    message: str
    #: Byte offset of the instruction in the code as the pass left it, when
    #: it assembles.
    offset: Optional[int] = None
    #: The number of the block's label (``L3`` is 3).
    block: Optional[int] = None
    #: For code built from a :class:`pyrewrite.Bytecode`: the index of the
    #: offending item in it.
    instruction: Optional[int] = None


class Error(Exception):
    """Base class of pyrewrite's errors."""

    def __init__(
        self,
        message: str,
        *,
        path: Optional[str] = None,
        offset: Optional[int] = None,
        pass_name: Optional[str] = None,
        code_object: Optional[str] = None,
        instruction: Optional[int] = None,
        valid: Optional[Tuple[str, ...]] = None,
        problems: Optional[Tuple[Problem, ...]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.offset = offset
        self.pass_name = pass_name
        self.code_object = code_object
        #: For code built from a :class:`pyrewrite.Bytecode`: the index of
        #: the offending item in it.
        self.instruction = instruction
        #: For an unknown pass or parameter (:class:`UsageError`): the
        #: names that would have been accepted.
        self.valid = valid
        #: For a :class:`VerifyError`: every problem found, with its rule
        #: and place.
        self.problems: Tuple[Problem, ...] = tuple(problems or ())


class ParseError(Error):
    """The input is not valid marshal data or a valid ``.pyc`` (``offset`` says where)."""


class PassError(Error):
    """A pass refused to rewrite a code object (``pass_name``, ``code_object``)."""


class VerifyError(Error):
    """The verifier rejected what a pass produced: it could crash the interpreter.

    ``problems`` lists each rule broken (:class:`Problem`).
    """


class UnsupportedError(Error):
    """A CPython version or feature pyrewrite does not handle."""


class UsageError(Error, ValueError):
    """An unknown pass or parameter, a bad parameter value, or a bad config.

    Also a :class:`ValueError`; the message lists the valid names.
    """
