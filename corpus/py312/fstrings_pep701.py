# PEP 701 f-strings (3.12+): reused quotes, backslashes and comments in fields.
names = ["a", "b"]
print(f"{"-".join(names)}")
print(f"{'\n'.join(names)}")
print(f"{f"{f"{1 + 1}"}"}")
print(f"{
    names[0]  # a comment inside a field
}")
value = 3.14159
print(f"{value:{"."}{2}f}")
