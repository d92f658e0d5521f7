//! Runtime values, CEL's equality and ordering over them, and the conversion of JSON context
//! into values of a parameter's declared type (as SpiceDB's `ConvertContextToParameters`).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;
use jiff::Timestamp;

use crate::time::{parse_duration, parse_timestamp};
use crate::types::CaveatType;

/// A CEL value.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    String(Arc<str>),
    Bytes(Arc<[u8]>),
    /// Nanoseconds; CEL durations are limited to an `i64` of nanoseconds.
    Duration(i64),
    Timestamp(Timestamp),
    IpAddress(IpAddr),
    List(Arc<[Value]>),
    Map(Arc<BTreeMap<MapKey, Value>>),
    /// cel-go's optional values (SpiceDB enables them): `None` is `optional.none()`.
    Optional(Option<Arc<Value>>),
}

/// The value types CEL allows as map keys.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum MapKey {
    Bool(bool),
    Int(i64),
    Uint(u64),
    String(Arc<str>),
}

impl MapKey {
    pub(crate) fn from_value(value: &Value) -> Option<MapKey> {
        match value {
            Value::Bool(b) => Some(MapKey::Bool(*b)),
            Value::Int(i) => Some(MapKey::Int(*i)),
            Value::Uint(u) => Some(MapKey::Uint(*u)),
            Value::String(s) => Some(MapKey::String(s.clone())),
            _ => None,
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        match self {
            MapKey::Bool(b) => Value::Bool(*b),
            MapKey::Int(i) => Value::Int(*i),
            MapKey::Uint(u) => Value::Uint(*u),
            MapKey::String(s) => Value::String(s.clone()),
        }
    }
}

impl Value {
    /// The CEL type name, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null_type",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Uint(_) => "uint",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Duration(_) => "duration",
            Value::Timestamp(_) => "timestamp",
            Value::IpAddress(_) => "ipaddress",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Optional(_) => "optional_type",
        }
    }

    pub(crate) fn string(text: &str) -> Value {
        Value::String(Arc::from(text))
    }
}

/// The numeric value as a point on one number line, for CEL's cross-type comparisons.
#[derive(Clone, Copy)]
enum Number {
    Int(i64),
    Uint(u64),
    Double(f64),
}

fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Int(i) => Some(Number::Int(*i)),
        Value::Uint(u) => Some(Number::Uint(*u)),
        Value::Double(d) => Some(Number::Double(*d)),
        _ => None,
    }
}

/// Compares an integer with a double exactly (no rounding of large integers); `None` for NaN.
fn compare_int_double(int: i128, double: f64) -> Option<Ordering> {
    if double.is_nan() {
        return None;
    }
    // Every i64 and u64 lies strictly inside (-2^64, 2^64), where f64 is exact at integers.
    const LIMIT: f64 = 18_446_744_073_709_551_616.0;
    if double >= LIMIT {
        return Some(Ordering::Less);
    }
    if double <= -LIMIT {
        return Some(Ordering::Greater);
    }
    let whole = double.trunc();
    // INVARIANT: |whole| < 2^64, so it converts to i128 exactly.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "whole is integral and within i128"
    )]
    let whole_int = whole as i128;
    Some(int.cmp(&whole_int).then_with(|| {
        // Same integer part: the double's fraction decides.
        0.0f64
            .partial_cmp(&(double - whole))
            .unwrap_or(Ordering::Equal)
    }))
}

fn compare_numbers(a: Number, b: Number) -> Option<Ordering> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
        (Number::Uint(x), Number::Uint(y)) => Some(x.cmp(&y)),
        (Number::Int(x), Number::Uint(y)) => Some(i128::from(x).cmp(&i128::from(y))),
        (Number::Uint(x), Number::Int(y)) => Some(i128::from(x).cmp(&i128::from(y))),
        (Number::Double(x), Number::Double(y)) => x.partial_cmp(&y),
        (Number::Int(x), Number::Double(y)) => compare_int_double(i128::from(x), y),
        (Number::Uint(x), Number::Double(y)) => compare_int_double(i128::from(x), y),
        (Number::Double(x), Number::Int(y)) => {
            compare_int_double(i128::from(y), x).map(Ordering::reverse)
        }
        (Number::Double(x), Number::Uint(y)) => {
            compare_int_double(i128::from(y), x).map(Ordering::reverse)
        }
    }
}

/// CEL's ordering: `Err(())` when the operands cannot be ordered (no such overload),
/// `Ok(None)` when they can but are unordered (NaN).
pub(crate) fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>, ()> {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return Ok(compare_numbers(x, y));
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => Ok(Some(x.cmp(y))),
        (Value::String(x), Value::String(y)) => Ok(Some(x.cmp(y))),
        (Value::Bytes(x), Value::Bytes(y)) => Ok(Some(x.cmp(y))),
        (Value::Duration(x), Value::Duration(y)) => Ok(Some(x.cmp(y))),
        (Value::Timestamp(x), Value::Timestamp(y)) => Ok(Some(x.cmp(y))),
        _ => Err(()),
    }
}

/// CEL's heterogeneous runtime equality: numbers compare across types, values of different
/// types are unequal, lists and maps compare element-wise. `steps` counts the elements
/// visited, for the evaluator's cost accounting.
pub(crate) fn equals(a: &Value, b: &Value, steps: &mut u64) -> bool {
    *steps += 1;
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return compare_numbers(x, y) == Some(Ordering::Equal);
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => {
            *steps += u64::try_from(x.len()).unwrap_or(u64::MAX) / 16;
            x == y
        }
        (Value::Bytes(x), Value::Bytes(y)) => {
            *steps += u64::try_from(x.len()).unwrap_or(u64::MAX) / 16;
            x == y
        }
        (Value::Duration(x), Value::Duration(y)) => x == y,
        (Value::Timestamp(x), Value::Timestamp(y)) => x == y,
        (Value::IpAddress(x), Value::IpAddress(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equals(p, q, steps))
        }
        (Value::Optional(x), Value::Optional(y)) => match (x, y) {
            (Some(p), Some(q)) => equals(p, q, steps),
            (p, q) => p.is_none() && q.is_none(),
        },
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, p)| lookup(y, &key.to_value()).is_some_and(|q| equals(p, q, steps)))
        }
        _ => false,
    }
}

/// Looks `key` up in `map`, matching numeric keys across `int`, `uint` and integral `double`
/// as CEL's heterogeneous equality does.
pub(crate) fn lookup<'a>(map: &'a BTreeMap<MapKey, Value>, key: &Value) -> Option<&'a Value> {
    let int_key = |i: i64| {
        map.get(&MapKey::Int(i)).or_else(|| {
            u64::try_from(i)
                .ok()
                .and_then(|u| map.get(&MapKey::Uint(u)))
        })
    };
    match key {
        Value::Int(i) => int_key(*i),
        Value::Uint(u) => map.get(&MapKey::Uint(*u)).or_else(|| {
            i64::try_from(*u)
                .ok()
                .and_then(|i| map.get(&MapKey::Int(i)))
        }),
        Value::Double(d) => {
            let whole = d.fract() == 0.0 && d.abs() < 9.2e18;
            // INVARIANT: checked integral and within i64 just above.
            #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
            let as_int = *d as i64;
            if whole { int_key(as_int) } else { None }
        }
        other => MapKey::from_value(other).and_then(|k| map.get(&k)),
    }
}

/// Converts the JSON value given for a parameter into a value of its declared type. The error
/// is the reason, to be wrapped with the parameter's name and type.
pub(crate) fn from_json(
    json: &serde_json::Value,
    declared: &CaveatType,
    depth: usize,
) -> Result<Value, String> {
    use serde_json::Value as Json;
    // JSON parsers limit nesting, but a caller may build deeper values by hand.
    const MAX_DEPTH: usize = 128;
    if depth > MAX_DEPTH {
        return Err(format!(
            "the value is nested more than {MAX_DEPTH} levels deep"
        ));
    }
    let found = || format!("found {}", describe_json(json));
    match declared {
        CaveatType::Any => Ok(any_from_json(json, depth)?),
        CaveatType::Bool => json.as_bool().map(Value::Bool).ok_or_else(found),
        CaveatType::String => json.as_str().map(Value::string).ok_or_else(found),
        CaveatType::Int => integer_from_json(json, i64::MIN, i64::MAX).map(Value::Int),
        // SpiceDB declares `uint` parameters as CEL `int`s, so the value is an `int` too.
        CaveatType::Uint => integer_from_json(json, 0, i64::MAX).map(Value::Int),
        CaveatType::Double => match json {
            Json::Number(n) => n.as_f64().map(Value::Double).ok_or_else(found),
            Json::String(text) => text
                .trim()
                .parse::<f64>()
                .map(Value::Double)
                .map_err(|_| format!("`{text}` is not a number")),
            _ => Err(found()),
        },
        CaveatType::Bytes => {
            let text = json
                .as_str()
                .ok_or_else(|| format!("expected base64 text, {}", found()))?;
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(|bytes| Value::Bytes(bytes.into()))
                .map_err(|err| format!("`{text}` is not valid base64: {err}"))
        }
        CaveatType::Duration => {
            let text = json
                .as_str()
                .ok_or_else(|| format!("expected duration text such as `1h30m`, {}", found()))?;
            parse_duration(text).map(Value::Duration)
        }
        CaveatType::Timestamp => {
            let text = json.as_str().ok_or_else(|| {
                format!(
                    "expected RFC 3339 text such as `2023-01-01T00:00:00Z`, {}",
                    found()
                )
            })?;
            parse_timestamp(text).map(Value::Timestamp)
        }
        CaveatType::IpAddress => {
            let text = json
                .as_str()
                .ok_or_else(|| format!("expected IP address text, {}", found()))?;
            parse_ip(text).map(Value::IpAddress)
        }
        CaveatType::List(element) => {
            let items = json
                .as_array()
                .ok_or_else(|| format!("expected a list, {}", found()))?;
            let converted: Result<Vec<Value>, String> = items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    from_json(item, element, depth + 1)
                        .map_err(|reason| format!("item {index}: {reason}"))
                })
                .collect();
            Ok(Value::List(converted?.into()))
        }
        CaveatType::Map(value_type) => {
            let entries = json
                .as_object()
                .ok_or_else(|| format!("expected an object, {}", found()))?;
            let mut map = BTreeMap::new();
            for (key, item) in entries {
                let value = from_json(item, value_type, depth + 1)
                    .map_err(|reason| format!("key `{key}`: {reason}"))?;
                map.insert(MapKey::String(Arc::from(key.as_str())), value);
            }
            Ok(Value::Map(Arc::new(map)))
        }
    }
}

/// An IP address as SpiceDB's `ipaddress` reads it: IPv4-mapped IPv6 addresses become IPv4.
pub(crate) fn parse_ip(text: &str) -> Result<IpAddr, String> {
    let ip: IpAddr = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IP address"))?;
    Ok(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

/// SpiceDB converts numeric parameters from JSON numbers (which reach it as doubles) and from
/// numeric strings, accepting only whole numbers for `int`/`uint`.
fn integer_from_json(json: &serde_json::Value, min: i64, max: i64) -> Result<i64, String> {
    let out_of_range =
        |shown: &str| format!("`{shown}` is out of range (must be between {min} and {max})");
    let from_double = |value: f64, shown: &str| {
        if value.fract() != 0.0 || !value.is_finite() {
            return Err(format!("`{shown}` is not a whole number"));
        }
        // i64 bounds as doubles: values at or beyond them cannot convert exactly.
        if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&value) {
            return Err(out_of_range(shown));
        }
        // INVARIANT: integral and inside i64's range, checked above.
        #[expect(clippy::cast_possible_truncation, reason = "integral and in range")]
        Ok(value as i64)
    };
    let value = match json {
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i
            } else if n.is_u64() {
                return Err(out_of_range(&n.to_string()));
            } else {
                from_double(n.as_f64().unwrap_or(f64::NAN), &n.to_string())?
            }
        }
        serde_json::Value::String(text) => match text.trim().parse::<i64>() {
            Ok(i) => i,
            Err(_) => {
                let double: f64 = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{text}` is not a number"))?;
                from_double(double, text)?
            }
        },
        other => return Err(format!("found {}", describe_json(other))),
    };
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(out_of_range(&value.to_string()))
    }
}

/// An `any` value: JSON as CEL sees a `google.protobuf.Struct`, where every number is a double.
fn any_from_json(json: &serde_json::Value, depth: usize) -> Result<Value, String> {
    use serde_json::Value as Json;
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::string(s),
        Json::Array(_) => from_json(json, &CaveatType::List(Box::new(CaveatType::Any)), depth)?,
        Json::Object(_) => from_json(json, &CaveatType::Map(Box::new(CaveatType::Any)), depth)?,
    })
}

fn describe_json(json: &serde_json::Value) -> String {
    use serde_json::Value as Json;
    match json {
        Json::Null => "null".to_owned(),
        Json::Bool(b) => format!("boolean `{b}`"),
        Json::Number(n) => format!("number `{n}`"),
        Json::String(s) => format!("string `{s:?}`"),
        Json::Array(_) => "a list".to_owned(),
        Json::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn convert(json: serde_json::Value, declared: &str) -> Result<Value, String> {
        from_json(&json, &declared.parse().unwrap(), 0)
    }

    fn same(a: &Value, b: &Value) -> bool {
        equals(a, b, &mut 0) && a.type_name() == b.type_name()
    }

    #[test]
    fn numbers_compare_across_types_exactly() {
        let cmp = |a: Value, b: Value| compare(&a, &b).unwrap();
        assert_eq!(
            cmp(Value::Int(1), Value::Double(1.0)),
            Some(Ordering::Equal)
        );
        assert_eq!(cmp(Value::Int(-1), Value::Uint(0)), Some(Ordering::Less));
        assert_eq!(
            cmp(Value::Uint(u64::MAX), Value::Int(i64::MAX)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            cmp(Value::Double(2.5), Value::Int(2)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            cmp(Value::Int(-3), Value::Double(-2.5)),
            Some(Ordering::Less)
        );
        assert_eq!(
            cmp(Value::Int(i64::MAX), Value::Double(9.3e18)),
            Some(Ordering::Less)
        );
        assert_eq!(
            cmp(
                Value::Int(i64::MAX),
                Value::Double(9_223_372_036_854_775_808.0)
            ),
            Some(Ordering::Less)
        );
        assert_eq!(
            cmp(Value::Uint(u64::MAX), Value::Double(1e30)),
            Some(Ordering::Less)
        );
        assert_eq!(cmp(Value::Int(0), Value::Double(f64::NAN)), None);
        assert!(compare(&Value::Int(1), &Value::string("1")).is_err());
    }

    #[test]
    fn equality_is_heterogeneous() {
        let eq = |a: &Value, b: &Value| equals(a, b, &mut 0);
        assert!(eq(&Value::Int(42), &Value::Double(42.0)));
        assert!(!eq(&Value::Int(1), &Value::string("1")));
        assert!(!eq(&Value::Double(f64::NAN), &Value::Double(f64::NAN)));
        assert!(eq(&Value::Null, &Value::Null));
        let list = |items: Vec<Value>| Value::List(items.into());
        assert!(eq(
            &list(vec![Value::Int(1), Value::Uint(2)]),
            &list(vec![Value::Double(1.0), Value::Int(2)])
        ));
        assert!(!eq(&list(vec![Value::Int(1)]), &list(vec![])));
        let map =
            |entries: Vec<(MapKey, Value)>| Value::Map(Arc::new(entries.into_iter().collect()));
        let a = map(vec![(MapKey::Int(1), Value::string("x"))]);
        let b = map(vec![(MapKey::Uint(1), Value::string("x"))]);
        assert!(eq(&a, &b));
    }

    #[test]
    fn numeric_map_keys_match_across_types() {
        let map: BTreeMap<MapKey, Value> = [
            (MapKey::Int(1), Value::Bool(true)),
            (MapKey::Uint(7), Value::Bool(false)),
        ]
        .into_iter()
        .collect();
        assert!(lookup(&map, &Value::Uint(1)).is_some());
        assert!(lookup(&map, &Value::Double(1.0)).is_some());
        assert!(lookup(&map, &Value::Int(7)).is_some());
        assert!(lookup(&map, &Value::Double(1.5)).is_none());
        assert!(lookup(&map, &Value::Null).is_none());
    }

    #[test]
    fn json_converts_per_declared_type() {
        assert!(same(
            &convert(json!(true), "bool").unwrap(),
            &Value::Bool(true)
        ));
        assert!(same(
            &convert(json!("hi"), "string").unwrap(),
            &Value::string("hi")
        ));
        assert!(same(&convert(json!(42), "int").unwrap(), &Value::Int(42)));
        // JSON numbers reach SpiceDB as doubles: whole doubles and numeric strings are ints.
        assert!(same(&convert(json!(42.0), "int").unwrap(), &Value::Int(42)));
        assert!(same(&convert(json!("-7"), "int").unwrap(), &Value::Int(-7)));
        assert!(same(
            &convert(json!("1e3"), "int").unwrap(),
            &Value::Int(1000)
        ));
        assert!(same(&convert(json!(3), "uint").unwrap(), &Value::Int(3)));
        assert!(same(
            &convert(json!(3), "double").unwrap(),
            &Value::Double(3.0)
        ));
        assert!(same(
            &convert(json!("2.5"), "double").unwrap(),
            &Value::Double(2.5)
        ));
        assert!(same(
            &convert(json!("aGk="), "bytes").unwrap(),
            &Value::Bytes(b"hi".to_vec().into())
        ));
        assert!(same(
            &convert(json!("1m"), "duration").unwrap(),
            &Value::Duration(60_000_000_000)
        ));
        let ts = convert(json!("2024-01-01T00:00:00Z"), "timestamp").unwrap();
        assert!(matches!(ts, Value::Timestamp(t) if t.as_second() == 1_704_067_200));
        let ip = convert(json!("::ffff:10.0.0.1"), "ipaddress").unwrap();
        assert!(same(&ip, &Value::IpAddress("10.0.0.1".parse().unwrap())));
        assert!(convert(json!("2001:db8::1"), "ipaddress").is_ok());
        // `any` sees every number as a double, like a protobuf Struct.
        assert!(same(
            &convert(json!(1), "any").unwrap(),
            &Value::Double(1.0)
        ));
        assert!(same(&convert(json!(null), "any").unwrap(), &Value::Null));
        let nested = convert(json!({"a": [1, {"b": "c"}]}), "map<any>").unwrap();
        let Value::Map(map) = nested else {
            panic!("not a map")
        };
        assert!(
            matches!(lookup(&map, &Value::string("a")), Some(Value::List(items)) if items.len() == 2)
        );
        let list = convert(json!([1, 2]), "list<int>").unwrap();
        assert!(same(
            &list,
            &Value::List(vec![Value::Int(1), Value::Int(2)].into())
        ));
    }

    #[test]
    fn json_of_the_wrong_type_says_why() {
        let reason = |json, declared| convert(json, declared).unwrap_err();
        assert_eq!(reason(json!("yes"), "bool"), "found string `\"yes\"`");
        assert_eq!(reason(json!(1), "string"), "found number `1`");
        assert_eq!(reason(json!(null), "int"), "found null");
        assert_eq!(reason(json!(1.5), "int"), "`1.5` is not a whole number");
        assert_eq!(reason(json!("abc"), "int"), "`abc` is not a number");
        assert_eq!(
            reason(json!(-1), "uint"),
            "`-1` is out of range (must be between 0 and 9223372036854775807)"
        );
        assert_eq!(
            reason(json!(u64::MAX), "int"),
            "`18446744073709551615` is out of range (must be between -9223372036854775808 and 9223372036854775807)"
        );
        assert_eq!(reason(json!(1e300), "int").split(' ').nth(2), Some("out"));
        assert_eq!(reason(json!(true), "double"), "found boolean `true`");
        assert!(
            reason(json!("not base64!"), "bytes").starts_with("`not base64!` is not valid base64")
        );
        assert_eq!(
            reason(json!(5), "duration"),
            "expected duration text such as `1h30m`, found number `5`"
        );
        assert_eq!(
            reason(json!("soon"), "duration"),
            "`soon` is not a duration such as `1h30m`, `10s` or `1.5h`"
        );
        assert!(
            reason(json!("2024-13-01T00:00:00Z"), "timestamp")
                .contains("not an RFC 3339 timestamp")
        );
        assert_eq!(
            reason(json!("10.0.0.256"), "ipaddress"),
            "`10.0.0.256` is not an IP address"
        );
        assert_eq!(
            reason(json!([1, "x"]), "list<int>"),
            "item 1: `x` is not a number"
        );
        assert_eq!(
            reason(json!({"a": 1}), "list<int>"),
            "expected a list, found an object"
        );
        assert_eq!(
            reason(json!({"k": "v"}), "map<int>"),
            "key `k`: `v` is not a number"
        );
        assert_eq!(
            reason(json!([]), "map<int>"),
            "expected an object, found a list"
        );
    }

    #[test]
    fn deep_json_is_refused_not_overflowed() {
        let mut deep = json!(1);
        for _ in 0..200 {
            deep = json!([deep]);
        }
        let err = from_json(&deep, &CaveatType::Any, 0).unwrap_err();
        assert!(err.contains("nested more than 128 levels"), "{err}");
    }
}
