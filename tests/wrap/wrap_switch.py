"""The off switches of tests/passes_wrap.rs (not instrumented): the
module flag `ON` (`switch = "wrap_switch:ON"`) and the builtin
`__wrap_test_on__` (`switch = "builtins:__wrap_test_on__"`), flipped
together by `set`."""
import builtins

ON = True
builtins.__wrap_test_on__ = True


def set(on):
    global ON
    ON = on
    builtins.__wrap_test_on__ = on
