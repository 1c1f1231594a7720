# str and bytes constants: non-ASCII, astral, surrogates, escapes, long strings.
ascii_s = "plain ascii"
latin = "café naïve"
cjk = "漢字テスト"
astral = "emoji \U0001F600 and \U00010348"
surrogate = "\ud800"
pair_halves = "\udc80\udfff"
escapes = "tab\tnl\ncr\rnul\x00bell\x07\\"
raw = r"raw \n \d+"
long_s = "x" * 300
b = b"bytes \x00\xff\x80 end"
empty_b = b""
empty_s = ""
print(ascii_s, latin, cjk, ascii(astral), len(astral))
print(ascii(surrogate), len(surrogate), ascii(pair_halves))
print(repr(escapes), raw, len(long_s))
print(b, empty_b, empty_s == "", b[0], b[-1], list(b[6:9]))
print(surrogate.encode("utf-8", "surrogatepass"), latin.encode("utf-8"), cjk.encode("utf-16-le")[:4])
print("é".encode("latin-1"), bytes(range(5)), bytearray(b"ab") + b"c")
print("\N{GREEK SMALL LETTER ALPHA}\N{SNOWMAN}", "\u00e9" == "é")
print("%s=%d %5.2f %-4s| %r %x %%" % ("k", 42, 3.14159, "ab", "q", 255))
print("{0}-{1}-{0} {name}".format("a", "b", name="n"), "{:>6}".format("r"))
print("sep".join(["a", "b", "c"]), "a,b,,c".split(","), "  strip  ".strip(), "Title case".title())
print("ab" * 3, "abc"[::-1], "hello"[1:4], "é" in latin, latin.upper(), "ß".upper())
implicit = ("implicit " "concatenation " 'of ' """strings""")
print(implicit)
print(b"%s %d" % (b"bytes-format", 7), b"ab".hex(), bytes.fromhex("414243"))
print("\x41\101\u0041\U00000041", "\'\"", len("\r\n"))
