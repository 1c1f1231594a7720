# Import forms: import, dotted, as, from-import, relative-free star import, __import__.
import os
import os.path
import os.path as osp
import collections.abc
from collections import OrderedDict, namedtuple as nt
from math import *
from json import (dumps,
                  loads)
import importlib

print(os.path is osp, collections.abc.Mapping.__name__, OrderedDict.__name__)
Point = nt("Point", "x y")
print(Point(1, 2), floor(2.5), ceil(2.5), pi > 3)
print(dumps({"a": [1, 2]}), loads("[1, 2]"))
mod = __import__("string")
print(mod.ascii_lowercase[:5], importlib.import_module("textwrap").__name__)


def local_import():
    import functools as ft
    from operator import add
    return ft.reduce(add, range(5))


print(local_import())
try:
    import definitely_not_a_module_xyz
except ImportError as e:
    print("ImportError", type(e).__name__, e.name)
try:
    from os import no_such_name_xyz
except ImportError as e:
    print("from-import failed", type(e).__name__)
