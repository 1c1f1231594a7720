//! Pass specifications from Python values: `[("swap-const", {"from": 1,
//! "to": 10}), "fold-constants"]` becomes the `(name, raw params)` list the
//! CLI and TOML configs give the library, checked by the same code.

use super::errors;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
use pyrewrite::passes::{self, config::Specs, ParamKind, RawValue};

/// Converts a Python list of pass names or `(name, params)` pairs; with
/// `as_text` every value is a string of command-line text.
pub fn specs(passes: &Bound<'_, PyAny>, as_text: bool) -> PyResult<Specs> {
    if passes.is_instance_of::<PyString>() {
        return Err(errors::usage(
            "passes must be a list of names or (name, params) pairs, not a string",
        ));
    }
    let mut out = Vec::new();
    for (i, item) in passes.try_iter()?.enumerate() {
        let item = item?;
        let (name, params): (String, Option<Bound<'_, PyAny>>) =
            if let Ok(name) = item.extract::<String>() {
                (name, None)
            } else if let Ok(t) = item.cast::<PyTuple>() {
                if t.len() != 2 {
                    return Err(errors::usage(format!(
                        "pass #{}: expected (name, params), found a tuple of {}",
                        i + 1,
                        t.len()
                    )));
                }
                (
                    t.get_item(0)?.extract().map_err(|_| {
                        errors::usage(format!("pass #{}: the name must be a string", i + 1))
                    })?,
                    Some(t.get_item(1)?),
                )
            } else {
                return Err(errors::usage(format!(
                    "pass #{}: expected a name or a (name, params) pair, found {}",
                    i + 1,
                    type_name(&item)
                )));
            };
        let info = passes::lookup(&name).map_err(|e| errors::config(&e))?;
        let mut raw = Vec::new();
        if let Some(p) = params.filter(|p| !p.is_none()) {
            let d = p.cast::<PyDict>().map_err(|_| {
                errors::usage(format!(
                    "pass {name}: params must be a dict, found {}",
                    type_name(&p)
                ))
            })?;
            for (k, v) in d.iter() {
                let key: String = k.extract().map_err(|_| {
                    errors::usage(format!("pass {name}: parameter names must be strings"))
                })?;
                // NB: an unknown key is passed through: Params::parse reports
                // it with the list of valid ones.
                let kind = info.params.iter().find(|s| s.name == key).map(|s| s.kind);
                let value = if as_text {
                    text(&name, &key, Some(ParamKind::Text), &v)?
                } else {
                    text(&name, &key, kind, &v)?
                };
                raw.push((key.clone(), RawValue::Text(value)));
            }
        }
        out.push((name, raw));
    }
    Ok(out)
}

/// The parameter's text as `--param KEY=TEXT` would give it.
fn text(pass: &str, key: &str, kind: Option<ParamKind>, v: &Bound<'_, PyAny>) -> PyResult<String> {
    let bad = |want: &str| {
        errors::usage(format!(
            "pass {pass}: parameter {key:?} must be {want}, found {}",
            type_name(v)
        ))
    };
    match kind {
        // NB: a Python literal parameter takes the value's repr(), which is
        // the literal syntax the pass parses (1, 'text', b'x', (1, 2), None).
        Some(ParamKind::Literal) => Ok(v.repr()?.to_string()),
        Some(ParamKind::Int) => match v.extract::<i64>() {
            Ok(n) if !v.is_instance_of::<PyBool>() => Ok(n.to_string()),
            _ => Err(bad("an int")),
        },
        Some(ParamKind::Bool) => match v.cast::<PyBool>() {
            Ok(b) => Ok(b.is_true().to_string()),
            Err(_) => Err(bad("a bool")),
        },
        // NB: an unknown key: any text will do, Params::parse refuses the key.
        None => Ok(v.str()?.to_string()),
        Some(ParamKind::Glob) | Some(ParamKind::Text) | Some(ParamKind::OptText) => {
            if let Ok(s) = v.extract::<String>() {
                Ok(s)
            } else if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
                // A list of words (inject-hook's args) is the comma-separated text.
                let words: Vec<String> = v
                    .extract()
                    .map_err(|_| bad("a string or a list of strings"))?;
                Ok(words.join(","))
            } else {
                Err(bad("a string"))
            }
        }
    }
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}
