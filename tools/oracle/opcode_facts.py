"""Print, as JSON on stdout, the opcode facts of the running CPython (3.8..3.14).

Runs unchanged under every supported interpreter (native or pyodide) and only
reads what `opcode` and `dis` expose. tools/gen_opcodes.py turns the output
into src/opcodes/v3_*.rs; tests/opcodes_oracle.rs compares the output with
those tables.

Usage: python3 tools/oracle/opcode_facts.py [--compact]

Output keys (absent lists are omitted, never faked):
  version            [major, minor]; full_version: sys.version
  have_argument      opcode.HAVE_ARGUMENT; extended_arg: opcode.EXTENDED_ARG
  ops                [[code, name], ...] for every real opcode < 256, taken
                     from dis._all_opname when it exists (it also names the
                     specialized instructions on 3.11/3.12) else dis.opname
  lists              {"hasconst": [...], ...}: each opcode.has* list that
                     exists, restricted to codes < 256
  has_arg            codes that take an argument (opcode.hasarg when it
                     exists, else code >= HAVE_ARGUMENT)
  backward           codes dis treats as backward jumps (dis._is_backward_jump)
  deopt              {code: base code} for codes dis._deoptop maps elsewhere
  cache_entries      {code: n} inline cache units after each instruction as
                     dis counts them (_inline_cache_entries of the deopt
                     code); only non-zero entries
  cache_format       {code: [[field, units], ...]} the named fields of those
                     cache units (opcode._cache_format of the deopt code,
                     3.11+), in order; only codes that have some
  specialized        codes of specialized instructions (3.11+)
  instrumented       codes named INSTRUMENTED_* (3.12+)
  cmp_op, nb_ops, intrinsic1, intrinsic2, special_method_names,
  common_constants, format_value_converters, function_attr_flags
                     the per-version tables dis uses to render arguments
  stack_effect       {code: {"N": [...], "T": [...], "F": [...]}} the result
                     of dis.stack_effect(code, arg, jump=None/True/False)
                     for arg in "sample" (or arg=None for codes without an
                     argument: then each list has one entry); ValueError -> null
  sample             the oparg values sampled
  unused_stack_effect  {code: [...]} for bytes that are no opcode: stack_effect
                     with oparg None, 0, 1 (outer) x jump None, True, False
  decoded_args       {name: [[arg, argval, argrepr], ...]} dis's rendering of
                     COMPARE_OP, LOAD_GLOBAL, LOAD_ATTR, LOAD_SUPER_ATTR and the
                     local-pair opcodes for arg 0..255 (names n0.., locals v0..)
  jump_targets       {code: [[arg, offset, target], ...]} the byte offset dis
                     reports as the target of each jump opcode
"""

import dis
import json
import opcode
import sys

SAMPLE = list(range(0, 301)) + [511, 512, 1000, 4095, 65535, 65536, 2 ** 20, 2 ** 24 - 1]


def real_ops():
    names = getattr(dis, "_all_opname", None) or dis.opname
    out = []
    for code, name in enumerate(names):
        if code >= 256 or name.startswith("<"):
            continue
        out.append([code, name])
    return out


def small(lst):
    return sorted(c for c in lst if c < 256)


def effect(code, arg, jump):
    try:
        if jump is None:
            return dis.stack_effect(code, arg)
        return dis.stack_effect(code, arg, jump=jump)
    except ValueError:
        return None


def argrepr_of(obj):
    # NB: dis renders LOAD_COMMON_CONSTANT types by __name__, others by repr.
    if isinstance(obj, type):
        return obj.__name__
    return repr(obj)


JUMP_ARGS = [0, 1, 3, 7, 100]
JUMP_AT = 16


def jump_targets(codes, deopt, lists, caches):
    """{code: [[arg, offset, target], ...]} as dis computes jump targets.

    3.13+ expose dis._get_jump_target; before, the target is read back from
    dis._get_instructions_bytes on synthetic bytecode: NOPs, the jump at
    offset JUMP_AT, its cache units, then NOP padding.
    """
    jumps = set(lists.get("hasjrel", [])) | set(lists.get("hasjabs", [])) | set(lists.get("hasjump", []))
    nop = opcode.opmap["NOP"]
    out = {}
    for c in codes:
        if deopt.get(c, c) not in jumps:
            continue
        rows = []
        for arg in JUMP_ARGS:
            if hasattr(dis, "_get_jump_target"):
                target = dis._get_jump_target(c, arg, JUMP_AT)
            else:
                n = caches.get(str(c), 0)
                code = bytes([nop, 0] * (JUMP_AT // 2) + [c, arg] + [0, 0] * n + [nop, 0] * 120)
                target = None
                for ins in dis._get_instructions_bytes(code):
                    if ins.offset == JUMP_AT:
                        target = ins.argval
            rows.append([arg, JUMP_AT, target])
        out[str(c)] = rows
    return out


DECODE_OPS = ("COMPARE_OP", "LOAD_GLOBAL", "LOAD_ATTR", "LOAD_SUPER_ATTR",
              "LOAD_FAST_LOAD_FAST", "STORE_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST",
              "LOAD_FAST_BORROW_LOAD_FAST_BORROW")
NAMES = tuple("n%d" % i for i in range(256))
VARNAMES = tuple("v%d" % i for i in range(256))


def decoded_args(caches):
    """{name: [[arg, argval, argrepr], ...]} for arg 0..255: how dis renders
    the argument of opcodes whose encoding packs flags or pairs (null when
    dis fails on that arg)."""
    out = {}
    for name in DECODE_OPS:
        op = opcode.opmap.get(name)
        if op is None or op >= 256:
            continue
        rows = []
        for arg in range(256):
            try:
                if hasattr(dis, "ArgResolver"):
                    r = dis.ArgResolver(names=NAMES, varname_from_oparg=VARNAMES.__getitem__)
                    val, rep = r.get_argval_argrepr(op, arg, 0)
                else:
                    code = bytes([op, arg] + [0, 0] * caches.get(str(op), 0))
                    if sys.version_info >= (3, 11):
                        ins = next(dis._get_instructions_bytes(
                            code, varname_from_oparg=VARNAMES.__getitem__, names=NAMES))
                    else:
                        ins = next(dis._get_instructions_bytes(code, varnames=VARNAMES, names=NAMES))
                    val, rep = ins.argval, ins.argrepr
                rows.append([arg, list(val) if isinstance(val, tuple) else val, rep])
            except (IndexError, KeyError):
                rows.append([arg, None, None])
        out[name] = rows
    return out


def main():
    ops = real_ops()
    codes = [c for c, _ in ops]
    names = dict(ops)
    facts = {
        "version": [sys.version_info[0], sys.version_info[1]],
        "full_version": sys.version,
        "have_argument": opcode.HAVE_ARGUMENT,
        "extended_arg": opcode.EXTENDED_ARG,
        "ops": ops,
        "sample": SAMPLE,
    }

    lists = {}
    for attr in ("hasconst", "hasname", "haslocal", "hasfree", "hascompare",
                 "hasjrel", "hasjabs", "hasjump", "hasnargs", "hasexc", "hasarg"):
        if hasattr(opcode, attr):
            lists[attr] = small(getattr(opcode, attr))
    facts["lists"] = lists

    deoptop = getattr(dis, "_deoptop", None)
    deopt = {}
    if deoptop is not None:
        for c in codes:
            d = deoptop(c)
            if d != c:
                deopt[c] = d
    facts["deopt"] = {str(k): v for k, v in deopt.items()}

    # NB: dis decides "has an argument" on the deoptimized code, like the
    # interpreter's own tables; opcode.hasarg lists base codes only.
    if hasattr(opcode, "hasarg"):
        base_has_arg = set(opcode.hasarg)
    else:
        base_has_arg = set(c for c in range(256) if c >= opcode.HAVE_ARGUMENT)
    has_arg = set(c for c in codes if deopt.get(c, c) in base_has_arg)
    facts["has_arg"] = sorted(has_arg)

    is_back = getattr(dis, "_is_backward_jump", None)
    facts["backward"] = [c for c in codes if is_back is not None and is_back(c)]

    ice = getattr(opcode, "_inline_cache_entries", None)
    caches = {}
    if ice is not None:
        for c in codes:
            base = deopt.get(c, c)
            if isinstance(ice, dict):
                # NB: 3.13+ key the dict by name; _all_opname names the base.
                n = ice.get(names.get(base, ""), 0)
            else:
                n = ice[base]
            if n:
                caches[str(c)] = n
    facts["cache_entries"] = caches

    fmt = getattr(opcode, "_cache_format", None) or {}
    layouts = {}
    for c in codes:
        fields = fmt.get(names.get(deopt.get(c, c), ""))
        if fields:
            layouts[str(c)] = [[k, n] for k, n in fields.items()]
    facts["cache_format"] = layouts

    spec_names = set()
    for lst in getattr(opcode, "_specializations", {}).values():
        spec_names.update(lst)
    spec_names.update(getattr(opcode, "_specialized_instructions", []))
    spec_names.update(getattr(opcode, "_specialized_opmap", {}).keys())
    facts["specialized"] = [c for c, n in ops if n in spec_names]
    facts["instrumented"] = [c for c, n in ops if n.startswith("INSTRUMENTED_")]

    facts["cmp_op"] = list(opcode.cmp_op)
    if hasattr(opcode, "_nb_ops"):
        facts["nb_ops"] = [list(p) for p in opcode._nb_ops]
    if hasattr(opcode, "_intrinsic_1_descs"):
        facts["intrinsic1"] = list(opcode._intrinsic_1_descs)
    if hasattr(opcode, "_intrinsic_2_descs"):
        facts["intrinsic2"] = list(opcode._intrinsic_2_descs)
    if hasattr(opcode, "_special_method_names"):
        facts["special_method_names"] = list(opcode._special_method_names)
    if hasattr(opcode, "_common_constants"):
        facts["common_constants"] = [argrepr_of(o) for o in opcode._common_constants]
    if hasattr(dis, "FORMAT_VALUE_CONVERTERS"):
        facts["format_value_converters"] = [p[1] for p in dis.FORMAT_VALUE_CONVERTERS]
    flags = getattr(dis, "FUNCTION_ATTR_FLAGS", None) or getattr(dis, "MAKE_FUNCTION_FLAGS", None)
    if flags is not None:
        facts["function_attr_flags"] = list(flags)

    facts["jump_targets"] = jump_targets(codes, deopt, lists, caches)
    facts["decoded_args"] = decoded_args(caches)

    se = {}
    for c in codes:
        args = SAMPLE if c in has_arg else [None]
        se[str(c)] = {
            "N": [effect(c, a, None) for a in args],
            "T": [effect(c, a, True) for a in args],
            "F": [effect(c, a, False) for a in args],
        }
    facts["stack_effect"] = se

    # NB: unused bytes must raise too; record what they do with oparg None/0/1.
    facts["unused_stack_effect"] = {
        str(c): [effect(c, a, j) for a in (None, 0, 1) for j in (None, True, False)]
        for c in range(256) if c not in names
    }

    compact = "--compact" in sys.argv[1:]
    json.dump(facts, sys.stdout, separators=(",", ":") if compact else None,
              sort_keys=True)
    sys.stdout.write("\n")


main()
