//! Pipelines from a TOML config file and from `--pass`/`--param` (see docs/config.md).
//!
//! ```toml
//! [[pass]]
//! name = "swap-const"
//! from = 42
//! to = 99
//! ```
//!
//! Every `[[pass]]` table has `name` plus that pass's parameters; passes run
//! in file order. `python = "module:function"` is short for a pass written
//! in Python (`name = "python"`, `function = ...`; see [`super::python`]).

use super::manager::Pipeline;
use super::{ConfigError, RawValue};
use std::path::Path;

/// Pass names with their raw parameters, in run order.
pub type Specs = Vec<(String, Vec<(String, RawValue)>)>;

/// Parses config text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Specs, ConfigError> {
    let bad = |message: String| ConfigError::Config {
        origin: origin.to_string(),
        message,
    };
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| bad(format!("invalid TOML: {}", e.to_string().trim_end())))?;
    let mut specs = Vec::new();
    for (key, value) in doc {
        if key != "pass" {
            return Err(bad(format!(
                "unknown top-level key {key:?} (a pipeline is a list of [[pass]] tables)"
            )));
        }
        let toml::Value::Array(items) = value else {
            return Err(bad(
                "`pass` must be an array of tables: write [[pass]], not [pass]".into(),
            ));
        };
        for (i, item) in items.into_iter().enumerate() {
            let toml::Value::Table(t) = item else {
                return Err(bad(format!("pass #{} is not a table", i + 1)));
            };
            let mut name = None;
            let mut raw = Vec::new();
            for (k, v) in t {
                if k == "name" || k == "python" {
                    let toml::Value::String(s) = v else {
                        return Err(bad(format!(
                            "pass #{}: {k} must be a string, found {}",
                            i + 1,
                            v.type_str()
                        )));
                    };
                    if name.is_some() {
                        return Err(bad(format!(
                            "pass #{}: give name or python, not both",
                            i + 1
                        )));
                    }
                    if k == "python" {
                        name = Some(super::python::INFO.name.to_string());
                        raw.push((
                            "function".to_string(),
                            RawValue::Toml(toml::Value::String(s)),
                        ));
                    } else {
                        name = Some(s);
                    }
                } else {
                    raw.push((k, RawValue::Toml(v)));
                }
            }
            let Some(name) = name else {
                return Err(bad(format!(
                    "pass #{} has no name (add name = \"...\")",
                    i + 1
                )));
            };
            specs.push((name, raw));
        }
    }
    Ok(specs)
}

/// Reads and parses a config file.
pub fn load(path: &Path) -> Result<Specs, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse(&text, &path.display().to_string())
}

/// The passes of `--pass NAME` (in order) with their `--param KEY=VALUE`
/// options. With one pass, `KEY=VALUE` belongs to it; with several, write
/// `NAME.KEY=VALUE` (a name given twice needs a config file).
pub fn from_cli(names: &[String], params: &[String]) -> Result<Specs, ConfigError> {
    let mut specs: Specs = names.iter().map(|n| (n.clone(), Vec::new())).collect();
    for p in params {
        let Some((key, value)) = p.split_once('=') else {
            return Err(ConfigError::Cli(format!(
                "--param {p:?}: expected KEY=VALUE"
            )));
        };
        let key = key.trim();
        let slot = match specs.len() {
            0 => {
                return Err(ConfigError::Cli(format!(
                "--param {p:?} without --pass (parameters of config passes go in the config file)"
            )))
            }
            1 if !key.contains('.') || !names.iter().any(|n| key.starts_with(&format!("{n}."))) => {
                0
            }
            _ => {
                let Some((pass, _)) = key
                    .split_once('.')
                    .filter(|(pass, _)| names.iter().any(|n| n == pass))
                else {
                    return Err(ConfigError::Cli(format!(
                        "--param {p:?}: with several --pass options write PASS.KEY=VALUE (passes: {})",
                        names.join(", ")
                    )));
                };
                let hits: Vec<usize> = names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| *n == pass)
                    .map(|(i, _)| i)
                    .collect();
                if hits.len() > 1 {
                    return Err(ConfigError::Cli(format!(
                        "--param {p:?}: pass {pass} is given twice; use --config for that pipeline"
                    )));
                }
                hits[0]
            }
        };
        let key = match key.split_once('.') {
            Some((pass, k)) if pass == specs[slot].0 => k,
            _ => key,
        };
        specs[slot]
            .1
            .push((key.to_string(), RawValue::Text(value.to_string())));
    }
    Ok(specs)
}

/// The full pipeline of a command line: the config file's passes first,
/// then the `--pass` ones; every name and parameter is checked.
pub fn pipeline(
    config: Option<&Path>,
    names: &[String],
    params: &[String],
) -> Result<Pipeline, ConfigError> {
    let mut specs = match config {
        Some(p) => load(p)?,
        None => Vec::new(),
    };
    specs.extend(from_cli(names, params)?);
    Pipeline::from_specs(&specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_are_clear() {
        let e = parse("[pass]\nname = 'x'", "c.toml").unwrap_err();
        assert!(e.to_string().contains("write [[pass]]"), "{e}");
        let e = parse("[[pass]]\nfrom = 1", "c.toml").unwrap_err();
        assert!(e.to_string().contains("pass #1 has no name"), "{e}");
        let e = parse("passes = []", "c.toml").unwrap_err();
        assert!(e.to_string().contains("unknown top-level key"), "{e}");
        let e = parse("[[pass]\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("invalid TOML"), "{e}");
        let s = parse(
            "[[pass]]\nname = 'swap-const'\nfrom = 42\nto = '99'\n[[pass]]\nname = 'replace-op'",
            "c",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].1.len(), 2);
        let s = parse("[[pass]]\npython = 'm:f'", "c").unwrap();
        assert_eq!(s[0].0, "python");
        assert!(
            matches!(&s[0].1[0], (k, RawValue::Toml(toml::Value::String(f))) if k == "function" && f == "m:f")
        );
        let e = parse("[[pass]]\npython = 'm:f'\nname = 'swap-const'", "c").unwrap_err();
        assert!(e.to_string().contains("not both"), "{e}");
        let e = Pipeline::from_specs(&parse("[[pass]]\nname = 'nope'", "c").unwrap())
            .err()
            .unwrap();
        assert!(e.to_string().contains("unknown pass \"nope\""), "{e}");
        assert!(
            matches!(&e, ConfigError::UnknownPass { name, valid } if name == "nope" && valid.contains(&"swap-const")),
            "{e:?}"
        );
        assert_eq!(e.pass_name(), None);
    }

    #[test]
    fn cli_params() {
        let one = from_cli(
            &["swap-const".into()],
            &["from=42".into(), "to='a=b'".into()],
        )
        .unwrap();
        assert_eq!(one[0].1.len(), 2);
        assert!(matches!(&one[0].1[1].1, RawValue::Text(t) if t == "'a=b'"));
        let two = from_cli(
            &["swap-const".into(), "replace-op".into()],
            &["replace-op.from=+".into()],
        )
        .unwrap();
        assert_eq!(two[1].1[0].0, "from");
        let e = from_cli(
            &["swap-const".into(), "replace-op".into()],
            &["from=+".into()],
        )
        .unwrap_err();
        assert!(e.to_string().contains("PASS.KEY=VALUE"), "{e}");
        assert!(from_cli(&[], &["from=1".into()]).is_err());
    }
}
