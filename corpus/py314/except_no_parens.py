# PEP 758 (3.14+): except with several types and no parentheses.
for exc in (ValueError("v"), TypeError("t"), KeyError("k")):
    try:
        raise exc
    except ValueError, TypeError:
        print("value-or-type", type(exc).__name__)
    except KeyError:
        print("key", type(exc).__name__)
