from __future__ import annotations

# With postponed evaluation, annotations are kept as strings.


def f(x: UndefinedName, y: list[int]) -> dict[str, int]:
    return {"x": x, "y": y}


class C:
    attr: NotDefinedEither


print(f(1, [2]), f.__annotations__, C.__annotations__)
