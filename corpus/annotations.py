# Variable annotations in functions and classes (module-level values printed
# through a function so deferred-annotation versions behave alike).
from typing import List, Optional


class Config:
    name: str = "cfg"
    retries: int
    tags: List[str] = []
    parent: Optional["Config"] = None


print(Config.name, Config.tags, Config.parent, sorted(Config.__annotations__))


def func(a: int, b: "Config" = None) -> Optional[int]:
    local: int = 5
    unassigned: str
    return a + local


print(func(1), sorted(func.__annotations__))
counter: int = 0
counter += 1
print(counter)
value: float
try:
    print(value)
except NameError:
    print("annotated but unassigned")
