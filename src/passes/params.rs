//! Typed pass parameters: what a pass declares ([`ParamSpec`]), how values
//! from the command line or a TOML config are checked ([`Params::parse`]),
//! and how a pass reads them back.

use super::literal::Lit;
use super::ConfigError;
use std::collections::BTreeMap;

/// The type of a parameter; decides how its text is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A Python literal (`42`, `'text'`, `(1, 2)`); see [`Lit::parse`].
    Literal,
    /// A glob over qualified names (`*` any run, `?` one character).
    Glob,
    /// `true` / `false`.
    Bool,
    /// Free text (operator symbols, opcode names, ...).
    Text,
    /// Free text that may be left empty (unset): an optional hook.
    OptText,
    /// A non-negative integer (`line`, `occurrence`; 0 usually means "any").
    Int,
}

impl ParamKind {
    /// How `pyrewrite passes` names the type.
    pub fn describe(self) -> &'static str {
        match self {
            ParamKind::Literal => "python literal",
            ParamKind::Glob => "glob",
            ParamKind::Bool => "bool",
            ParamKind::Text => "text",
            ParamKind::OptText => "text or empty",
            ParamKind::Int => "integer",
        }
    }
}

/// One declared parameter of a pass.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// The key (`from`, `to`, `qualname`).
    pub name: &'static str,
    /// Its type.
    pub kind: ParamKind,
    /// The value used when none is given (`None`: the parameter is required).
    pub default: Option<&'static str>,
    /// One line of help.
    pub help: &'static str,
}

/// A checked parameter value.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// A Python literal.
    Literal(Lit),
    /// A qualname glob.
    Glob(Glob),
    /// A bool.
    Bool(bool),
    /// Text.
    Text(String),
    /// A non-negative integer.
    Int(u64),
}

/// A raw value before checking: text from `--param`, or a TOML value.
#[derive(Clone, Debug)]
pub enum RawValue {
    /// Text from the command line (always parsed by the parameter's kind).
    Text(String),
    /// A value from a TOML config file.
    Toml(toml::Value),
}

/// The checked parameters of one pass instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    values: BTreeMap<&'static str, ParamValue>,
}

impl Params {
    /// Checks `raw` against `specs`: unknown keys, missing required ones and
    /// values that do not parse are errors naming the pass and the key;
    /// defaults fill in the rest.
    pub fn parse(
        pass: &'static str,
        specs: &[ParamSpec],
        raw: &[(String, RawValue)],
    ) -> Result<Params, ConfigError> {
        let mut values = BTreeMap::new();
        for (key, value) in raw {
            let Some(spec) = specs.iter().find(|s| s.name == key) else {
                return Err(ConfigError::UnknownParam {
                    pass,
                    key: key.clone(),
                    valid: specs.iter().map(|s| s.name).collect(),
                });
            };
            if values.contains_key(spec.name) {
                return Err(ConfigError::DuplicateParam {
                    pass,
                    key: key.clone(),
                });
            }
            let v = check(spec, value).map_err(|message| ConfigError::BadValue {
                pass,
                key: spec.name,
                message,
            })?;
            values.insert(spec.name, v);
        }
        for spec in specs {
            if values.contains_key(spec.name) {
                continue;
            }
            let Some(d) = spec.default else {
                return Err(ConfigError::MissingParam {
                    pass,
                    key: spec.name,
                    help: spec.help,
                });
            };
            let v =
                check(spec, &RawValue::Text(d.to_string())).map_err(|e| ConfigError::Invalid {
                    pass,
                    message: format!("default of {}: {e}", spec.name),
                })?;
            values.insert(spec.name, v);
        }
        Ok(Params { values })
    }

    /// The value of `spec`, one of the pass's own declared parameters
    /// (passes name them by constant, so a misspelt name does not compile).
    fn get(&self, spec: &ParamSpec) -> &ParamValue {
        self.values
            .get(spec.name)
            .unwrap_or_else(|| panic!("parameter {} is not one of this pass's", spec.name))
    }

    /// The literal parameter `name` (declared with [`ParamKind::Literal`]).
    pub fn literal(&self, spec: &ParamSpec) -> &Lit {
        match self.get(spec) {
            ParamValue::Literal(l) => l,
            other => panic!("parameter {} is {other:?}, not a literal", spec.name),
        }
    }

    /// The glob parameter `name`.
    pub fn glob(&self, spec: &ParamSpec) -> &Glob {
        match self.get(spec) {
            ParamValue::Glob(g) => g,
            other => panic!("parameter {} is {other:?}, not a glob", spec.name),
        }
    }

    /// The bool parameter `name`.
    pub fn bool(&self, spec: &ParamSpec) -> bool {
        match self.get(spec) {
            ParamValue::Bool(b) => *b,
            other => panic!("parameter {} is {other:?}, not a bool", spec.name),
        }
    }

    /// The optional text parameter `name` ([`ParamKind::OptText`]): `None`
    /// when empty.
    pub fn opt_text(&self, spec: &ParamSpec) -> Option<&str> {
        match self.get(spec) {
            ParamValue::Text(t) if t.is_empty() => None,
            ParamValue::Text(t) => Some(t),
            other => panic!("parameter {} is {other:?}, not text", spec.name),
        }
    }

    /// The integer parameter `name`.
    pub fn int(&self, spec: &ParamSpec) -> u64 {
        match self.get(spec) {
            ParamValue::Int(n) => *n,
            other => panic!("parameter {} is {other:?}, not an integer", spec.name),
        }
    }

    /// The text parameter `name`.
    pub fn text(&self, spec: &ParamSpec) -> &str {
        match self.get(spec) {
            ParamValue::Text(t) => t,
            other => panic!("parameter {} is {other:?}, not text", spec.name),
        }
    }
}

fn check(spec: &ParamSpec, raw: &RawValue) -> Result<ParamValue, String> {
    use toml::Value as T;
    let text = match raw {
        RawValue::Text(t) => t.clone(),
        RawValue::Toml(T::String(s)) => s.clone(),
        // NB: TOML numbers and booleans are shorthands for the Python
        // literal / bool they spell; strings are always parsed by kind.
        RawValue::Toml(T::Integer(i)) if spec.kind == ParamKind::Literal => i.to_string(),
        RawValue::Toml(T::Float(x)) if spec.kind == ParamKind::Literal => {
            if !x.is_finite() {
                return Err(format!("{x} has no Python literal"));
            }
            format!("{x:?}")
        }
        RawValue::Toml(T::Boolean(b)) if spec.kind == ParamKind::Literal => {
            (if *b { "True" } else { "False" }).to_string()
        }
        RawValue::Toml(T::Boolean(b)) if spec.kind == ParamKind::Bool => b.to_string(),
        RawValue::Toml(T::Integer(i)) if spec.kind == ParamKind::Int => i.to_string(),
        RawValue::Toml(other) => {
            return Err(format!(
                "expected a string{}, found TOML {}",
                shorthand(spec.kind),
                other.type_str()
            ));
        }
    };
    Ok(match spec.kind {
        ParamKind::Literal => ParamValue::Literal(Lit::parse(&text).map_err(|e| {
            format!(
                "{e} (write Python literal syntax: 42, 1.5, 'text', b'raw', None, True, (1, 2))"
            )
        })?),
        ParamKind::Glob => ParamValue::Glob(Glob::new(&text)),
        ParamKind::Bool => ParamValue::Bool(match text.as_str() {
            "true" | "True" | "1" | "yes" => true,
            "false" | "False" | "0" | "no" => false,
            _ => return Err(format!("expected true or false, found {text:?}")),
        }),
        ParamKind::OptText => ParamValue::Text(text.trim().to_string()),
        ParamKind::Text => {
            if text.trim().is_empty() {
                return Err("empty value".into());
            }
            ParamValue::Text(text.trim().to_string())
        }
        ParamKind::Int => ParamValue::Int(
            text.trim()
                .parse()
                .map_err(|_| format!("expected a non-negative integer, found {text:?}"))?,
        ),
    })
}

fn shorthand(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Literal => " (Python literal text), integer, float or boolean",
        ParamKind::Bool => " or boolean",
        ParamKind::Int => " or integer",
        _ => "",
    }
}

/// A glob over qualified names: `*` matches any run of characters (dots
/// included), `?` one character; everything else matches itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(String);

impl Glob {
    /// A glob from its text.
    pub fn new(pattern: &str) -> Self {
        Glob(pattern.to_string())
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        let p: Vec<char> = self.0.chars().collect();
        let s: Vec<char> = name.chars().collect();
        // NB: classic two-pointer matcher with one backtrack point per `*`.
        let (mut i, mut j) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while j < s.len() {
            if i < p.len() && (p[i] == '?' || p[i] == s[j]) {
                i += 1;
                j += 1;
            } else if i < p.len() && p[i] == '*' {
                star = Some((i, j));
                i += 1;
            } else if let Some((si, sj)) = star {
                i = si + 1;
                j = sj + 1;
                star = Some((si, sj + 1));
            } else {
                return false;
            }
        }
        p[i..].iter().all(|&c| c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "from",
            kind: ParamKind::Literal,
            default: None,
            help: "value to replace",
        },
        ParamSpec {
            name: "qualname",
            kind: ParamKind::Glob,
            default: Some("*"),
            help: "which code",
        },
        ParamSpec {
            name: "nested",
            kind: ParamKind::Bool,
            default: Some("true"),
            help: "tuples",
        },
    ];

    #[test]
    fn globs() {
        let g = Glob::new("Box.*");
        assert!(g.matches("Box.get"));
        assert!(g.matches("Box.get.<locals>.inner"));
        assert!(!g.matches("Box"));
        assert!(Glob::new("*").matches(""));
        assert!(Glob::new("f?o").matches("foo"));
        assert!(Glob::new("*.<locals>.*").matches("a.<locals>.b"));
        assert!(!Glob::new("a*b").matches("acbc"));
        assert!(Glob::new("a*b*c").matches("axxbyyc"));
    }

    #[test]
    fn errors_name_the_problem() {
        let e = Params::parse("p", SPECS, &[]).unwrap_err();
        assert!(
            e.to_string()
                .contains("missing required parameter \"from\""),
            "{e}"
        );
        let e =
            Params::parse("p", SPECS, &[("form".into(), RawValue::Text("1".into()))]).unwrap_err();
        assert!(
            e.to_string().contains("unknown parameter \"form\"")
                && e.to_string().contains("from, qualname, nested"),
            "{e}"
        );
        assert_eq!(e.pass_name(), Some("p"));
        assert_eq!(e.valid(), ["from", "qualname", "nested"]);
        let e = Params::parse("p", SPECS, &[("from".into(), RawValue::Text("abc".into()))])
            .unwrap_err();
        assert!(e.to_string().contains("parameter from:"), "{e}");
        let e = Params::parse(
            "p",
            SPECS,
            &[("from".into(), RawValue::Toml(toml::Value::Array(vec![])))],
        )
        .unwrap_err();
        assert!(e.to_string().contains("found TOML array"), "{e}");
        let p = Params::parse(
            "p",
            SPECS,
            &[("from".into(), RawValue::Toml(toml::Value::Integer(7)))],
        )
        .unwrap();
        assert_eq!(p.literal(&SPECS[0]).as_i64(), Some(7));
        assert!(p.glob(&SPECS[1]).matches("anything"));
        assert!(p.bool(&SPECS[2]));
    }
}
