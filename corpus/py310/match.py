# Structural pattern matching (3.10+): every pattern kind.
from dataclasses import dataclass


@dataclass
class Point:
    x: int
    y: int


def describe(subject):
    match subject:
        case None:
            return "none"
        case True:
            return "true"
        case 0 | 1 | 2:
            return "small int"
        case int(n) if n < 0:
            return "negative %d" % n
        case float() | complex():
            return "inexact"
        case "hello" | "hi":
            return "greeting"
        case str() as s if len(s) > 5:
            return "long string " + s
        case []:
            return "empty list"
        case [x]:
            return "one item %r" % (x,)
        case [1, *rest]:
            return "starts with 1, rest %r" % (rest,)
        case (a, b, c):
            return "triple %r %r %r" % (a, b, c)
        case {"type": "user", "name": name, **others}:
            return "user %s others %r" % (name, sorted(others))
        case {"type": kind}:
            return "dict of type " + kind
        case Point(x=0, y=0):
            return "origin"
        case Point(x=0, y=yy):
            return "on y axis at %d" % yy
        case Point(xx, yy) if xx == yy:
            return "diagonal"
        case Point():
            return "some point"
        case _:
            return "other " + type(subject).__name__


Point.__match_args__ = ("x", "y")
for s in [None, True, 1, -5, 2.5, 3j, "hi", "longer one", "short", [], [9], [1, 2, 3], (4, 5, 6),
          {"type": "user", "name": "ann", "age": 3, "id": 1}, {"type": "x"}, Point(0, 0), Point(0, 4),
          Point(2, 2), Point(1, 2), b"bytes"]:
    print(repr(s), "->", describe(s))


def nested(cmd):
    match cmd.split():
        case ["go", ("north" | "south") as direction]:
            return "going " + direction
        case ["take", *items] if items:
            return "taking " + ",".join(items)
        case ["quit" | "exit"]:
            return "bye"
        case _:
            return "unknown"


print([nested(c) for c in ["go north", "go west", "take a b", "take", "exit"]])
BIG = 100


class Consts:
    LIMIT = 10


def value_patterns(v):
    match v:
        case Consts.LIMIT:
            return "limit"
        case -1:
            return "minus one"
        case 1.5:
            return "one and a half"
        case 2 + 3j:
            return "complex literal"
    return "no match"


print([value_patterns(v) for v in [10, -1, 1.5, 2 + 3j, BIG]])
