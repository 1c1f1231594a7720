# fold-constants target: CPython leaves `84 // 0` unfolded (it would raise).
# A swap-const 0 -> 2 makes it foldable; fold-constants then computes 42
# exactly as CPython would have compiled `84 // 2`.


def ratio():
    try:
        return 84 // 0
    except ZeroDivisionError:
        return "division by zero"


def power():
    try:
        return (2 ** 5) % 0
    except ZeroDivisionError:
        return "modulo by zero"


print(ratio())
print(power())
