//! The built-in functions at run time: each picks its overload from the argument values (the
//! checker has ruled out most mismatches, but `dyn` values are only known now).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};

use crate::eval::{Context, units};
use crate::program::Function;
use crate::time::{
    add_nanos, difference, duration_part, format_duration, parse_duration, parse_timestamp,
    timestamp_from_seconds, timestamp_part,
};
use crate::value::{MapKey, Value, compare, equals, lookup};

/// Why a built-in produced no value.
#[derive(Debug)]
pub(crate) enum Fault {
    Message(String),
    CostExceeded,
}

impl From<String> for Fault {
    fn from(message: String) -> Self {
        Fault::Message(message)
    }
}

/// Compiled regular expressions may not grow past this many bytes: patterns come from users.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles a pattern for `matches` with RE2 semantics (what CEL specifies). The `regex` crate
/// implements the same syntax with guaranteed linear-time matching, so a hostile pattern
/// cannot backtrack exponentially.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|err| format!("invalid regular expression `{pattern}`: {err}"))
}

fn overflow() -> Fault {
    Fault::Message("integer overflow".to_owned())
}

fn no_overload(function: Function, args: &[Value]) -> Fault {
    let types: Vec<&str> = args.iter().map(Value::type_name).collect();
    Fault::Message(format!(
        "no such overload: `{}` applied to `({})`",
        function.name(),
        types.join(", ")
    ))
}

/// Cost of scanning text or bytes: a unit per 16 bytes, so sizes count without dominating.
fn scan_cost(len: usize) -> u64 {
    units(len / 16 + 1)
}

/// Applies `function` to `args` (a method's receiver first).
pub(crate) fn apply(
    function: Function,
    args: &[Value],
    context: &mut Context<'_>,
) -> Result<Value, Fault> {
    use Value::{Bool, Bytes, Double, Duration, Int, IpAddress, List, Map, Timestamp};
    let result = match (function, args) {
        (Function::Negate, [Int(i)]) => Int(i.checked_neg().ok_or_else(overflow)?),
        (Function::Negate, [Double(d)]) => Double(-d),
        (
            Function::Add
            | Function::Subtract
            | Function::Multiply
            | Function::Divide
            | Function::Modulo,
            [a, b],
        ) => arithmetic(function, a, b, context)?,
        (Function::Equal | Function::NotEqual, [a, b]) => {
            let mut steps = 0;
            let equal = equals(a, b, &mut steps);
            context.meter.charge(steps)?;
            Bool(equal == (function == Function::Equal))
        }
        (
            Function::Less | Function::LessEqual | Function::Greater | Function::GreaterEqual,
            [a, b],
        ) => {
            let ordering = compare(a, b).map_err(|()| no_overload(function, args))?;
            if let (Value::String(x), Value::String(y)) = (a, b) {
                context.meter.charge(scan_cost(x.len().min(y.len())))?;
            }
            Bool(ordering.is_some_and(|o| match function {
                Function::Less => o == Ordering::Less,
                Function::LessEqual => o != Ordering::Greater,
                Function::Greater => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }))
        }
        (Function::In, [needle, List(items)]) => {
            let mut steps = 0;
            let found = items.iter().any(|item| equals(needle, item, &mut steps));
            context.meter.charge(steps)?;
            Bool(found)
        }
        (Function::In, [key, Map(map)]) => Bool(lookup(map, key).is_some()),
        (Function::Size, [Value::String(s)]) => {
            context.meter.charge(scan_cost(s.len()))?;
            Int(count(s.chars().count())?)
        }
        (Function::Size, [Bytes(b)]) => Int(count(b.len())?),
        (Function::Size, [List(items)]) => Int(count(items.len())?),
        (Function::Size, [Map(map)]) => Int(count(map.len())?),
        (
            Function::Contains | Function::StartsWith | Function::EndsWith | Function::Matches,
            [Value::String(s), Value::String(t)],
        ) => {
            context
                .meter
                .charge(scan_cost(s.len()) + scan_cost(t.len()))?;
            Bool(match function {
                Function::Contains => s.contains(&**t),
                Function::StartsWith => s.starts_with(&**t),
                Function::EndsWith => s.ends_with(&**t),
                _ => match context.regexes.get(&**t) {
                    Some(regex) => regex.is_match(s),
                    None => compile_regex(t)?.is_match(s),
                },
            })
        }
        (Function::ToDyn, [value]) => value.clone(),
        (
            Function::ToBool
            | Function::ToBytes
            | Function::ToDouble
            | Function::ToDuration
            | Function::ToInt
            | Function::ToString
            | Function::ToTimestamp
            | Function::ToUint,
            [value],
        ) => convert(function, value)?,
        (Function::TimePart(part), [Timestamp(ts)]) => Int(timestamp_part(*ts, part, None)?),
        (Function::TimePart(part), [Timestamp(ts), Value::String(zone)]) => {
            Int(timestamp_part(*ts, part, Some(zone))?)
        }
        (Function::TimePart(part), [Duration(nanos)]) => {
            Int(duration_part(*nanos, part).ok_or_else(|| no_overload(function, args))?)
        }
        (Function::InCidr, [IpAddress(ip), Value::String(cidr)]) => Bool(in_cidr(*ip, cidr)?),
        (Function::IsSubtreeOf, [Map(a), Map(b)]) => {
            let mut steps = 0;
            let subtree = is_subtree(a, b, &mut steps);
            context.meter.charge(steps)?;
            Bool(subtree)
        }
        (Function::OptionalOf, [value]) => Value::Optional(Some(Arc::new(value.clone()))),
        (Function::OptionalOfNonZeroValue, [value]) => {
            Value::Optional((!is_zero(value)).then(|| Arc::new(value.clone())))
        }
        (Function::OptionalNone, []) => Value::Optional(None),
        (Function::OptionalValue, [Value::Optional(content)]) => content
            .as_deref()
            .cloned()
            .ok_or_else(|| Fault::Message("optional.none() dereference".to_owned()))?,
        (Function::OptionalHasValue, [Value::Optional(content)]) => Bool(content.is_some()),
        _ => return Err(no_overload(function, args)),
    };
    Ok(result)
}

/// Whether `value` is its type's zero value, for `optional.ofNonZeroValue`.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Uint(u) => *u == 0,
        Value::Double(d) => *d == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::Duration(nanos) => *nanos == 0,
        Value::Timestamp(ts) => *ts == jiff::Timestamp::UNIX_EPOCH,
        Value::List(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
        Value::IpAddress(_) | Value::Optional(_) => false,
    }
}

fn count(size: usize) -> Result<i64, Fault> {
    i64::try_from(size).map_err(|_| overflow())
}

fn arithmetic(
    function: Function,
    a: &Value,
    b: &Value,
    context: &mut Context<'_>,
) -> Result<Value, Fault> {
    use Value::{Bytes, Double, Duration, Int, List, Timestamp, Uint};
    let out_of_range = |what: &str| Fault::Message(format!("{what} out of range"));
    let result = match (function, a, b) {
        (Function::Add, Int(x), Int(y)) => Int(x.checked_add(*y).ok_or_else(overflow)?),
        (Function::Subtract, Int(x), Int(y)) => Int(x.checked_sub(*y).ok_or_else(overflow)?),
        (Function::Multiply, Int(x), Int(y)) => Int(x.checked_mul(*y).ok_or_else(overflow)?),
        (Function::Divide | Function::Modulo, Int(_), Int(0))
        | (Function::Divide | Function::Modulo, Uint(_), Uint(0)) => {
            let what = if function == Function::Divide {
                "division"
            } else {
                "modulus"
            };
            return Err(Fault::Message(format!("{what} by zero")));
        }
        (Function::Divide, Int(x), Int(y)) => Int(x.checked_div(*y).ok_or_else(overflow)?),
        (Function::Modulo, Int(x), Int(y)) => Int(x.checked_rem(*y).ok_or_else(overflow)?),
        (Function::Add, Uint(x), Uint(y)) => Uint(x.checked_add(*y).ok_or_else(overflow)?),
        (Function::Subtract, Uint(x), Uint(y)) => Uint(x.checked_sub(*y).ok_or_else(overflow)?),
        (Function::Multiply, Uint(x), Uint(y)) => Uint(x.checked_mul(*y).ok_or_else(overflow)?),
        (Function::Divide, Uint(x), Uint(y)) => Uint(x / y),
        (Function::Modulo, Uint(x), Uint(y)) => Uint(x % y),
        (Function::Add, Double(x), Double(y)) => Double(x + y),
        (Function::Subtract, Double(x), Double(y)) => Double(x - y),
        (Function::Multiply, Double(x), Double(y)) => Double(x * y),
        (Function::Divide, Double(x), Double(y)) => Double(x / y),
        (Function::Add, Value::String(x), Value::String(y)) => {
            context.meter.charge(units(x.len() + y.len()))?;
            Value::String(Arc::from(format!("{x}{y}")))
        }
        (Function::Add, Bytes(x), Bytes(y)) => {
            context.meter.charge(units(x.len() + y.len()))?;
            Bytes(x.iter().chain(y.iter()).copied().collect())
        }
        (Function::Add, List(x), List(y)) => {
            context.meter.charge(units(x.len() + y.len()))?;
            List(x.iter().chain(y.iter()).cloned().collect())
        }
        (Function::Add, Duration(x), Duration(y)) => {
            Duration(x.checked_add(*y).ok_or_else(|| out_of_range("duration"))?)
        }
        (Function::Subtract, Duration(x), Duration(y)) => {
            Duration(x.checked_sub(*y).ok_or_else(|| out_of_range("duration"))?)
        }
        (Function::Add, Timestamp(t), Duration(d)) | (Function::Add, Duration(d), Timestamp(t)) => {
            Timestamp(add_nanos(*t, *d).ok_or_else(|| out_of_range("timestamp"))?)
        }
        (Function::Subtract, Timestamp(t), Duration(d)) => {
            let negated = d.checked_neg().ok_or_else(|| out_of_range("timestamp"))?;
            Timestamp(add_nanos(*t, negated).ok_or_else(|| out_of_range("timestamp"))?)
        }
        (Function::Subtract, Timestamp(x), Timestamp(y)) => {
            Duration(difference(*x, *y).ok_or_else(|| out_of_range("duration"))?)
        }
        _ => return Err(no_overload(function, &[a.clone(), b.clone()])),
    };
    Ok(result)
}

/// The conversion functions `bool()`, `int()` and friends.
fn convert(function: Function, value: &Value) -> Result<Value, Fault> {
    use Value::{Bool, Bytes, Double, Duration, Int, Timestamp, Uint};
    let cannot = |detail: String| Fault::Message(format!("cannot convert {detail}"));
    // Doubles convert to integers only strictly inside the target's range, truncating.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
    let result = match (function, value) {
        (Function::ToBool, Bool(b)) => Bool(*b),
        (Function::ToBool, Value::String(s)) => match &**s {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Bool(true),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Bool(false),
            _ => return Err(cannot(format!("`{s}` to `bool`"))),
        },
        (Function::ToBytes, Bytes(b)) => Bytes(b.clone()),
        (Function::ToBytes, Value::String(s)) => Bytes(s.as_bytes().into()),
        (Function::ToDouble, Double(d)) => Double(*d),
        #[expect(
            clippy::cast_precision_loss,
            reason = "CEL's int-to-double conversion rounds"
        )]
        (Function::ToDouble, Int(i)) => Double(*i as f64),
        #[expect(
            clippy::cast_precision_loss,
            reason = "CEL's uint-to-double conversion rounds"
        )]
        (Function::ToDouble, Uint(u)) => Double(*u as f64),
        (Function::ToDouble, Value::String(s)) => Double(
            s.parse()
                .map_err(|_| cannot(format!("`{s}` to `double`")))?,
        ),
        (Function::ToDuration, Duration(d)) => Duration(*d),
        (Function::ToDuration, Value::String(s)) => Duration(parse_duration(s)?),
        (Function::ToInt, Int(i)) => Int(*i),
        (Function::ToInt, Uint(u)) => Int(i64::try_from(*u).map_err(|_| overflow())?),
        (Function::ToInt, Double(d)) => {
            if !(d.trunc() > -TWO_POW_63 && d.trunc() < TWO_POW_63) {
                return Err(overflow());
            }
            // INVARIANT: truncated value strictly inside i64's range, checked above.
            #[expect(clippy::cast_possible_truncation, reason = "range checked above")]
            Int(*d as i64)
        }
        (Function::ToInt, Value::String(s)) => {
            Int(s.parse().map_err(|_| cannot(format!("`{s}` to `int`")))?)
        }
        (Function::ToInt, Timestamp(t)) => Int(t.as_second()),
        (Function::ToUint, Uint(u)) => Uint(*u),
        (Function::ToUint, Int(i)) => Uint(u64::try_from(*i).map_err(|_| overflow())?),
        (Function::ToUint, Double(d)) => {
            if !(*d > -1.0 && *d < TWO_POW_64) {
                return Err(overflow());
            }
            // INVARIANT: truncated value inside u64's range, checked above.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "range checked above"
            )]
            Uint(*d as u64)
        }
        (Function::ToUint, Value::String(s)) => {
            Uint(s.parse().map_err(|_| cannot(format!("`{s}` to `uint`")))?)
        }
        (Function::ToString, Value::String(s)) => Value::String(s.clone()),
        (Function::ToString, Bool(b)) => Value::string(&b.to_string()),
        (Function::ToString, Int(i)) => Value::string(&i.to_string()),
        (Function::ToString, Uint(u)) => Value::string(&u.to_string()),
        (Function::ToString, Double(d)) => Value::string(&d.to_string()),
        (Function::ToString, Bytes(b)) => Value::string(
            std::str::from_utf8(b)
                .map_err(|_| cannot("bytes that are not valid UTF-8 to `string`".to_owned()))?,
        ),
        (Function::ToString, Duration(d)) => Value::string(&format_duration(*d)),
        (Function::ToString, Timestamp(t)) => Value::string(&t.to_string()),
        (Function::ToTimestamp, Timestamp(t)) => Timestamp(*t),
        (Function::ToTimestamp, Value::String(s)) => Timestamp(parse_timestamp(s)?),
        (Function::ToTimestamp, Int(seconds)) => Timestamp(
            timestamp_from_seconds(*seconds)
                .ok_or_else(|| Fault::Message("timestamp out of range".to_owned()))?,
        ),
        _ => return Err(no_overload(function, std::slice::from_ref(value))),
    };
    Ok(result)
}

/// Whether `ip` lies in the network `cidr` (`10.0.0.0/8`, `2001:db8::/32`), as Go's
/// `netip.Prefix.Contains`: addresses of the other family never match.
fn in_cidr(ip: IpAddr, cidr: &str) -> Result<bool, Fault> {
    let invalid = || Fault::Message(format!("invalid CIDR string: `{cidr}`"));
    let (address, bits) = cidr.split_once('/').ok_or_else(invalid)?;
    let network: IpAddr = address.parse().map_err(|_| invalid())?;
    let canonical = !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && (bits == "0" || !bits.starts_with('0'));
    let bits: u32 = if canonical {
        bits.parse().map_err(|_| invalid())?
    } else {
        return Err(invalid());
    };
    let (ip, network, width) = match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => (
            u128::from(u32::from(ip)),
            u128::from(u32::from(network)),
            32,
        ),
        (IpAddr::V6(ip), IpAddr::V6(network)) => (u128::from(ip), u128::from(network), 128),
        (_, IpAddr::V4(_)) if bits > 32 => return Err(invalid()),
        _ if bits > 128 => return Err(invalid()),
        _ => return Ok(false),
    };
    if bits > width {
        return Err(invalid());
    }
    let shift = width - bits;
    Ok(ip.checked_shr(shift).unwrap_or(0) == network.checked_shr(shift).unwrap_or(0))
}

/// SpiceDB's `isSubtreeOf`: every key of `a` is in `b` with an equal value, nested maps
/// compared the same way recursively.
fn is_subtree(a: &BTreeMap<MapKey, Value>, b: &BTreeMap<MapKey, Value>, steps: &mut u64) -> bool {
    a.iter().all(|(key, value)| {
        *steps += 1;
        match (value, lookup(b, &key.to_value())) {
            (_, None) => false,
            (Value::Map(inner), Some(Value::Map(other))) => is_subtree(inner, other, steps),
            (Value::Map(_), Some(_)) => false,
            (value, Some(other)) => equals(value, other, steps),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_membership_follows_netip() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(in_cidr(ip("10.2.3.4"), "10.0.0.0/8").unwrap());
        assert!(!in_cidr(ip("11.2.3.4"), "10.0.0.0/8").unwrap());
        assert!(in_cidr(ip("10.1.3.4"), "10.1.0.0/16").unwrap());
        assert!(in_cidr(ip("1.2.3.4"), "0.0.0.0/0").unwrap());
        assert!(in_cidr(ip("1.2.3.4"), "1.2.3.4/32").unwrap());
        assert!(in_cidr(ip("10.9.9.9"), "10.1.2.3/8").unwrap());
        assert!(in_cidr(ip("2001:db8::1"), "2001:db8::/32").unwrap());
        assert!(!in_cidr(ip("2001:db9::1"), "2001:db8::/32").unwrap());
        assert!(!in_cidr(ip("10.0.0.1"), "::/0").unwrap());
        assert!(!in_cidr(ip("::1"), "0.0.0.0/0").unwrap());
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/08",
            "10.0.0.0/",
            "10.0.0/8",
            "::/129",
            "x/1",
            "10.0.0.0/+8",
        ] {
            assert!(in_cidr(ip("10.0.0.1"), bad).is_err(), "{bad}");
        }
    }
}
