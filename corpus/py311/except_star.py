# Exception groups and except* (3.11+).
def raiser():
    raise ExceptionGroup("group", [ValueError("v1"), TypeError("t1"), ValueError("v2"), KeyError("k")])


try:
    try:
        raiser()
    except* ValueError as eg:
        print("values", [str(e) for e in eg.exceptions])
    except* TypeError as eg:
        print("types", [str(e) for e in eg.exceptions])
except ExceptionGroup as rest:
    print("unhandled rest", [type(e).__name__ for e in rest.exceptions])


def nested_groups():
    try:
        raise ExceptionGroup("outer", [ExceptionGroup("inner", [OSError("o")]), ValueError("x")])
    except* OSError as eg:
        print("os errors", eg.split(OSError)[0] is not None)
    except* ValueError:
        print("value error handled")
    finally:
        print("finally after except*")


nested_groups()


def naked_exception():
    result = None
    try:
        raise RuntimeError("naked")
    except* RuntimeError as eg:
        result = type(eg).__name__, [str(e) for e in eg.exceptions]
    return result


print(naked_exception())
try:
    try:
        raise ExceptionGroup("eg", [ValueError(1)])
    except* ValueError:
        raise KeyError("raised in handler")
except ExceptionGroup as e:
    print("handler raised", [type(x).__name__ for x in e.exceptions])
except KeyError as e:
    print("plain key error", e)
e = ExceptionGroup("n", [ValueError("a")])
e.add_note("a note")
print(e.__notes__)
