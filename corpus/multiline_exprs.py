# Expressions and statements spanning many lines (line tables and positions).
result = (
    1
    +
    2
    *
    3
)
print(result)
values = [
    x
    for x
    in range(5)
    if x
    % 2
]
print(values)


def call(
    a,
    b=(
        1,
        2,
    ),
    *,
    c,
):
    return (
        a,
        b,
        c,
    )


print(
    call(
        "a",
        c="c",
    )
)
text = "continued " \
    "line " \
    "string"
print(text)
total = sum(
    [
        1, 2, 3,
        4, 5, 6,
    ]
) if True \
    else 0
print(total)
d = {
    "k1": 1,
    "k2": [
        2,
        3,
    ],
}
print(d)
chained = "  Mixed Case  ".strip(
).lower(
).replace(
    "mixed",
    "lower",
)
print(chained)
