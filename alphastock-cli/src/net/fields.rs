//! Lenient readers for fields of broker JSON: numbers may come as JSON numbers or strings.

use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::Value;

/// The first of `keys` present in `v` and not null.
pub fn field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| v.get(*k).filter(|x| !x.is_null()))
}

/// Largest magnitude of a number taken from a broker answer (one lakh crore): prices,
/// quantities and amounts beyond it are treated as missing, so arithmetic on them stays inside
/// `Decimal`'s range.
pub const MAX_BROKER_NUMBER: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// A decimal from a JSON number or numeric string, within ±[`MAX_BROKER_NUMBER`].
pub fn decimal(v: &Value) -> Option<Decimal> {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    if s.len() > 64 {
        return None;
    }
    Decimal::from_str(&s)
        .or_else(|_| Decimal::from_scientific(&s))
        .ok()
        .filter(|d| d.abs() <= MAX_BROKER_NUMBER)
}

/// A decimal from the first present key.
pub fn dec_of(v: &Value, keys: &[&str]) -> Option<Decimal> {
    field(v, keys).and_then(decimal)
}

/// A signed integer from the first present key (numbers or numeric strings, fractions dropped).
pub fn int_of(v: &Value, keys: &[&str]) -> Option<i64> {
    dec_of(v, keys)?.trunc().to_i64()
}

/// Text from the first present key (numbers are turned into text).
pub fn text_of(v: &Value, keys: &[&str]) -> Option<String> {
    match field(v, keys)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_and_strings() {
        let v: Value = serde_json::json!({"a": "12.50", "b": 3, "c": null, "d": "1e2", "e": "-75"});
        assert_eq!(dec_of(&v, &["c", "a"]), Some(Decimal::new(1250, 2)));
        assert_eq!(int_of(&v, &["b"]), Some(3));
        assert_eq!(int_of(&v, &["e"]), Some(-75));
        assert_eq!(dec_of(&v, &["d"]), Some(Decimal::from(100)));
        assert_eq!(text_of(&v, &["b"]).as_deref(), Some("3"));
        assert_eq!(dec_of(&v, &["zz"]), None);
    }
}
