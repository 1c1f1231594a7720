# Non-ASCII identifiers (NFKC-normalised), names in code objects.
café = "coffee"
π = 3.14
変数 = "variable"


def größe(länge):
    return länge * 2


class Ünicode:
    ñ = 1


print(café, π, 変数, größe(4), Ünicode.ñ, Ünicode.__name__)
ﬁle = "ligature normalises to file"
print(file)
print(größe.__code__.co_varnames, größe.__name__)
