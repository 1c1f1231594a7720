# try/except/else/finally, raise from, chaining, re-raise, custom exceptions.


class AppError(Exception):
    def __init__(self, code):
        super().__init__("app error %d" % code)
        self.code = code


def risky(n):
    if n == 0:
        raise ValueError("zero")
    if n == 1:
        raise AppError(7)
    if n == 2:
        return 1 / 0
    return n


for n in range(4):
    try:
        r = risky(n)
    except ValueError as e:
        print("value", e)
    except (AppError, ZeroDivisionError) as e:
        print("multi", type(e).__name__, getattr(e, "code", None))
    else:
        print("no error", r)
    finally:
        print("finally", n)

try:
    try:
        risky(0)
    except ValueError as e:
        raise AppError(9) from e
except AppError as e:
    print("cause", type(e.__cause__).__name__, e.__suppress_context__)

try:
    try:
        risky(2)
    except ZeroDivisionError:
        raise KeyError("during handling")
except KeyError as e:
    print("context", type(e.__context__).__name__)

try:
    try:
        raise IndexError("inner")
    except IndexError:
        raise
except IndexError as e:
    print("re-raised", e)


def name_unbound_after_except():
    try:
        raise TypeError("t")
    except TypeError as err:
        pass
    try:
        return err
    except NameError:
        return "err was deleted"


print(name_unbound_after_except())

try:
    raise AppError(3) from None
except AppError as e:
    print("from None", e.__cause__, e.__suppress_context__)


def nested_handlers():
    log = []
    try:
        try:
            raise ValueError("a")
        finally:
            log.append("inner finally")
    except ValueError:
        log.append("outer except")
    return log


print(nested_handlers())
import sys


def exc_info_inside():
    try:
        raise LookupError("li")
    except LookupError:
        return sys.exc_info()[0].__name__


print(exc_info_inside(), sys.exc_info())


class Ctx(Exception):
    pass


try:
    raise Ctx
except Exception as e:
    print(type(e).__name__, e.args)
