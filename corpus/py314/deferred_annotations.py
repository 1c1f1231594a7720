# PEP 649 (3.14+): annotations evaluated lazily; forward references work.
import annotationlib


def f(x: Later) -> Later:
    return x


class Later:
    field: "Later"
    other: int


print(f.__annotations__, sorted(Later.__annotations__))
print(annotationlib.get_annotations(f, format=annotationlib.Format.STRING))
