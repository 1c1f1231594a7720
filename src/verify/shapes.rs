//! Container types on the stack: the operands the interpreter casts to
//! `PyTupleObject *`, `PyListObject *` or `PyDictObject *` without a check
//! (bytecodes.c/ceval.c: `LIST_APPEND` and `LIST_EXTEND` to a list,
//! `MAP_ADD` to a dict, 3.11+ `MATCH_KEYS` reads its keys with
//! `PyTuple_GET_SIZE`, a function's closure is read as a tuple of cells
//! when it is called: `LOAD_DEREF` casts each item to `PyCellObject *`). CPython's compiler hands each the container
//! it just built (`BUILD_LIST`, `BUILD_MAP`, `BUILD_TUPLE` or a tuple
//! constant; a closure is a `BUILD_TUPLE` of `LOAD_CLOSURE`s), so the stack-kind walk marks what those make and this module
//! says which operand must be surely one. The rules are the `shapes`
//! column of the opcode rows ([`crate::opcodes::Shapes`]).

use super::kinds::{
    Kind, ANY_CODE, ANY_FUNCTION, ANY_TUPLE, CLOSURE, DICT, ELIST, LIST, PAIRS, TRIPLE,
};
use crate::opcodes::{OpTable, Shape, ShapeNeed};

/// What 3.10+ annotations may be: a tuple of name, value pairs (what the
/// compiler builds), which funcobject.c walks two items at a time without
/// checking the length (seed 31415 on 3.10: an odd one, SIGSEGV), or a
/// dict, which it takes as it is.
const ANNOTATIONS: Kind = PAIRS | DICT;

/// The kind bit of a shape.
pub(super) fn bit(s: Shape) -> Kind {
    match s {
        Shape::Tuple => ANY_TUPLE,
        Shape::Triple => TRIPLE,
        Shape::List => LIST | ELIST,
        Shape::ExceptionList => ELIST,
        Shape::Dict => DICT,
        Shape::Function => ANY_FUNCTION,
        Shape::Code => ANY_CODE,
    }
}

/// The operands `need` asks of `read` (the values an instruction reads,
/// deepest first) with argument `raw`, as (index in `read`, the kinds it
/// may be), each one that may be something else.
pub(super) fn unmet(t: &OpTable, need: ShapeNeed, raw: u32, read: &[Kind]) -> Vec<(usize, Kind)> {
    let n = read.len();
    let need = match need {
        ShapeNeed::Intrinsic1 => t
            .intrinsic1_needs
            .get(raw as usize)
            .copied()
            .unwrap_or(ShapeNeed::None),
        ShapeNeed::Intrinsic2 => t
            .intrinsic2_needs
            .get(raw as usize)
            .copied()
            .unwrap_or(ShapeNeed::None),
        other => other,
    };
    let mut want: Vec<(usize, Kind)> = Vec::new();
    match need {
        ShapeNeed::None => {}
        ShapeNeed::Deepest(s) if n > 0 => want.push((0, bit(s))),
        ShapeNeed::Top(s) if n > 0 => want.push((n - 1, bit(s))),
        ShapeNeed::FunctionParts {
            above,
            pair_annotations,
        } => {
            // NB: under the code object: closure (8), annotations (4),
            // keyword defaults (2), defaults (1), in that order downwards.
            // NB: the code object itself: `above` deep (3.8-3.10: under
            // the qualified name).
            if let Some(i) = n.checked_sub(usize::from(above)) {
                want.push((i, ANY_CODE));
            }
            let mut at = n.checked_sub(usize::from(above));
            for flag in [8u32, 4, 2, 1] {
                if raw & flag == 0 {
                    continue;
                }
                let Some(i) = at.and_then(|a| a.checked_sub(1)) else {
                    break;
                };
                // NB: defaults (1) are read as a tuple too (the call reads
                // them with PyTuple_GET_SIZE); 3.12+ generic functions pass
                // them in through their `.defaults` parameter, which the
                // caller is checked to pass a tuple (kinds::DEF_FN).
                if flag == 8 {
                    want.push((i, CLOSURE));
                } else if flag == 1 {
                    want.push((i, ANY_TUPLE | CLOSURE));
                } else if flag == 4 && pair_annotations {
                    want.push((i, ANNOTATIONS));
                }
                at = Some(i);
            }
        }
        ShapeNeed::FunctionAttribute if n >= 2 => {
            want.push((n - 1, ANY_FUNCTION));
            match raw {
                8 => want.push((n - 2, CLOSURE)),
                1 => want.push((n - 2, ANY_TUPLE | CLOSURE)),
                4 => want.push((n - 2, ANNOTATIONS)),
                _ => {}
            }
        }
        _ => {}
    }
    want.retain(|&(i, k)| read[i] == 0 || read[i] & !k != 0);
    want
}
