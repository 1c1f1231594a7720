# PEP 696 type parameter defaults (3.13+).
class Container[T = int]:
    pass


def pick[T = str](x: T) -> T:
    return x


type Alias[K = bytes] = list[K]
print(Container.__type_params__[0].__default__, pick.__type_params__[0].__default__)
print(Alias.__type_params__[0].__default__, pick("x"))
