//! The parameter types a caveat may declare, spelled as in SpiceDB schemas.

use std::fmt;
use std::str::FromStr;

use crate::error::CaveatError;

/// The type of a caveat parameter, as declared in a schema (`list<string>`, `map<any>`).
///
/// These are SpiceDB's caveat types, not CEL's: a `uint` parameter is an `int` inside the
/// expression (SpiceDB declares it so), `map<T>` always has string keys and `any` is CEL's
/// `dyn`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CaveatType {
    /// `any`: whatever JSON value is given (numbers become `double`).
    Any,
    /// `bool`
    Bool,
    /// `string`
    String,
    /// `int` (64-bit signed).
    Int,
    /// `uint` (non-negative; an `int` inside expressions, as in SpiceDB).
    Uint,
    /// `double`
    Double,
    /// `bytes` (base64 text in JSON).
    Bytes,
    /// `duration` (Go duration text in JSON, e.g. `1h30m`).
    Duration,
    /// `timestamp` (RFC 3339 text in JSON).
    Timestamp,
    /// `ipaddress` (IPv4 or IPv6 text in JSON; has the method `in_cidr`).
    IpAddress,
    /// `list<T>`
    List(Box<CaveatType>),
    /// `map<T>`, with string keys.
    Map(Box<CaveatType>),
}

/// Names of the types without parameters, with their values, for parsing and for help text.
const SCALARS: [(&str, CaveatType); 10] = [
    ("any", CaveatType::Any),
    ("bool", CaveatType::Bool),
    ("string", CaveatType::String),
    ("int", CaveatType::Int),
    ("uint", CaveatType::Uint),
    ("double", CaveatType::Double),
    ("bytes", CaveatType::Bytes),
    ("duration", CaveatType::Duration),
    ("timestamp", CaveatType::Timestamp),
    ("ipaddress", CaveatType::IpAddress),
];

impl fmt::Display for CaveatType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::List(element) => write!(f, "list<{element}>"),
            Self::Map(value) => write!(f, "map<{value}>"),
            scalar => {
                let name = SCALARS
                    .iter()
                    .find(|(_, candidate)| candidate == scalar)
                    .map_or("?", |(name, _)| name);
                f.write_str(name)
            }
        }
    }
}

impl FromStr for CaveatType {
    type Err = CaveatError;

    /// Parses SpiceDB's spelling, e.g. `int`, `list<string>`, `map<list<int>>`; spaces around
    /// names and angle brackets are allowed.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: String| CaveatError::InvalidType {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if let Some((name, rest)) = trimmed.split_once('<') {
            let inner = rest
                .strip_suffix('>')
                .ok_or_else(|| invalid("missing the closing `>`".to_owned()))?;
            let argument: CaveatType = inner.parse().map_err(|err| match err {
                CaveatError::InvalidType { reason, .. } => invalid(reason),
                other => other,
            })?;
            return match name.trim() {
                "list" => Ok(Self::List(Box::new(argument))),
                "map" => Ok(Self::Map(Box::new(argument))),
                other => Err(invalid(format!(
                    "`{other}` takes no type argument; only `list<T>` and `map<T>` do"
                ))),
            };
        }
        if let Some((_, scalar)) = SCALARS.iter().find(|(name, _)| *name == trimmed) {
            return Ok(scalar.clone());
        }
        let reason = match trimmed {
            "list" | "map" => {
                format!("`{trimmed}` needs a type argument, e.g. `{trimmed}<string>`")
            }
            _ => {
                let names: Vec<&str> = SCALARS.iter().map(|(name, _)| *name).collect();
                format!(
                    "unknown type `{trimmed}`; expected one of {}, `list<T>` or `map<T>`",
                    names.join(", ")
                )
            }
        };
        Err(invalid(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_spelling() {
        let nested = CaveatType::Map(Box::new(CaveatType::List(Box::new(CaveatType::Int))));
        let mut all: Vec<CaveatType> = SCALARS.iter().map(|(_, t)| t.clone()).collect();
        all.push(CaveatType::List(Box::new(CaveatType::String)));
        all.push(nested.clone());
        for caveat_type in all {
            let text = caveat_type.to_string();
            assert_eq!(text.parse::<CaveatType>().unwrap(), caveat_type, "{text}");
        }
        assert_eq!(nested.to_string(), "map<list<int>>");
        assert_eq!(
            CaveatType::Map(Box::new(CaveatType::Any)).to_string(),
            "map<any>"
        );
    }

    #[test]
    fn spaces_inside_the_spelling_are_accepted() {
        assert_eq!(
            " list < ipaddress > ".parse::<CaveatType>().unwrap(),
            CaveatType::List(Box::new(CaveatType::IpAddress))
        );
    }

    #[test]
    fn malformed_spellings_say_what_is_wrong() {
        let reason = |text: &str| match text.parse::<CaveatType>().unwrap_err() {
            CaveatError::InvalidType { reason, .. } => reason,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            reason("list"),
            "`list` needs a type argument, e.g. `list<string>`"
        );
        assert_eq!(reason("list<int"), "missing the closing `>`");
        assert_eq!(
            reason("int<string>"),
            "`int` takes no type argument; only `list<T>` and `map<T>` do"
        );
        assert!(reason("integer").starts_with("unknown type `integer`; expected one of any,"));
        assert!(reason("map<strin>").starts_with("unknown type `strin`"));
        assert!(reason("map<string, int>").starts_with("unknown type `string, int`"));
    }
}
