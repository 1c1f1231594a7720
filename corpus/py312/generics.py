# PEP 695 type parameters and type aliases (3.12+).
type Number = int | float
type Pair[T] = tuple[T, T]


def first[T](items: list[T]) -> T:
    return items[0]


class Box[T]:
    def __init__(self, item: T):
        self.item = item

    def get(self) -> T:
        return self.item

    def map[U](self, f) -> "Box[U]":
        return Box(f(self.item))


class Bounded[T: (int, str), *Ts, **P]:
    pass


print(first([3, 2, 1]), Box(5).map(lambda v: v * 2).get())
print(Number.__name__, Number.__value__, Pair.__type_params__)
print(first.__type_params__, Box.__type_params__, Bounded.__type_params__)
T0 = Bounded.__type_params__[0]
print(T0.__constraints__, type(T0).__name__)


def outer():
    type Local = list[int]
    return Local.__value__


print(outer())
