# Nested finally with return/break/continue; break/continue inside try.
import warnings

warnings.simplefilter("ignore")  # NB: 3.14 warns about return in finally (PEP 765)


def return_in_try():
    try:
        return "try"
    finally:
        print("finally runs before return")


print(return_in_try())


def finally_overrides():
    try:
        return "try"
    finally:
        return "finally"


print(finally_overrides())


def loop_control():
    out = []
    for i in range(6):
        try:
            if i == 1:
                continue
            if i == 4:
                break
            out.append(i)
        finally:
            out.append("f%d" % i)
    else:
        out.append("no else after break")
    return out


print(loop_control())


def nested_finally():
    log = []
    for i in range(3):
        try:
            try:
                if i == 0:
                    continue
                if i == 2:
                    return log
                log.append("body%d" % i)
            finally:
                log.append("inner%d" % i)
        finally:
            log.append("outer%d" % i)
    return "unreachable"


print(nested_finally())


def break_in_finally():
    for i in range(5):
        try:
            raise ValueError(i)
        finally:
            break
    return "swallowed %d" % i


print(break_in_finally())


def continue_in_finally():
    n = 0
    for i in range(3):
        try:
            n += 1
        finally:
            if i < 2:
                continue
        n += 100
    return n


print(continue_in_finally())


def while_try_except():
    i = 0
    out = []
    while True:
        i += 1
        try:
            if i % 2:
                raise KeyError(i)
            if i > 6:
                break
        except KeyError:
            out.append(i)
            continue
        else:
            out.append("else%d" % i)
        finally:
            out.append(".")
    return out


print(while_try_except())


def return_value_saved():
    x = 1
    try:
        return x
    finally:
        x = 2


print(return_value_saved())


def with_in_finally():
    class C:
        def __enter__(self):
            print("enter")

        def __exit__(self, *a):
            print("exit")
    try:
        return "r"
    finally:
        with C():
            print("inside with in finally")


print(with_in_finally())
