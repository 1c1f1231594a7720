"""Type hints for the compiled core (``pyrewrite._pyrewrite``). Use the
public API in ``pyrewrite`` instead; these are its building blocks."""

from typing import Any, Callable, List, Optional, Sequence, Tuple

__version__: str
SUPPORTED_VERSIONS: List[Tuple[int, int]]

class Pipeline:
    def __init__(
        self,
        passes: Optional[Sequence[Any]] = None,
        *,
        config: Optional[str] = None,
        origin: Optional[str] = None,
        text: bool = False,
    ) -> None: ...
    @property
    def names(self) -> List[str]: ...
    def runtime_modules(self) -> List[str]: ...
    def runtime_imports(self) -> List[Tuple[str, str, str, bool]]: ...
    def rewrite(self, data: bytes, version: Tuple[int, int], qualname: Optional[str] = None) -> bytes: ...
    def stats(self) -> List[Tuple[str, int, int]]: ...

class Pyc:
    def __init__(self, data: bytes, path: Optional[str] = None) -> None: ...
    @property
    def version(self) -> Tuple[int, int]: ...
    @property
    def path(self) -> Optional[str]: ...
    @property
    def flags(self) -> int: ...
    def rewrite(self, pipeline: Pipeline) -> None: ...
    def to_bytes(self) -> bytes: ...
    def code_bytes(self) -> bytes: ...
    def dis(self) -> str: ...
    def info_json(self) -> str: ...

def dis_code(
    data: bytes,
    version: Tuple[int, int],
    addresses: Optional[List[int]] = None,
    reprs: Optional[List[List[Optional[str]]]] = None,
) -> str: ...
def info_code_json(data: bytes, version: Tuple[int, int]) -> str: ...
def pass_list() -> List[Tuple[str, str, List[Tuple[str, str, Optional[str], str]]]]: ...
def cli_main(argv: List[str]) -> int: ...

class _Unset: ...

UNSET: _Unset

class Label:
    """A place in the instruction list: jump targets and handlers point at it."""

    def __init__(self) -> None: ...

class Instr:
    """One instruction (see ``pyrewrite.bytecode``)."""

    name: str
    arg: Any
    lineno: Optional[int]
    end_lineno: Optional[int]
    col_offset: Optional[int]
    end_col_offset: Optional[int]
    handler: Any
    _extra: Tuple[bool, int, Optional[int], Optional[int]]
    def __init__(
        self,
        name: str,
        arg: Any = ...,
        *,
        lineno: Optional[int] = None,
        end_lineno: Optional[int] = None,
        col_offset: Optional[int] = None,
        end_col_offset: Optional[int] = None,
        handler: Any = None,
    ) -> None: ...
    @property
    def location(self) -> Tuple[Optional[int], Optional[int], Optional[int], Optional[int]]: ...

def lift_into(target: List[Any], data: bytes, consts: Tuple[Any, ...], compare: Any, handler: Any) -> None: ...
def assemble_list(items: List[Any], template: Any, consts: List[Any], const_index: Callable[[Any], int], compare: Any) -> bytes: ...
