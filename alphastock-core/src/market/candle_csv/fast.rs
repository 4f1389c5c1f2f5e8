//! The fast path of the candle CSV reader for rows in the usual shape: a timestamp written
//! `YYYY-MM-DDTHH:MM:SS+05:30`, a symbol already seen, and prices written as plain digits with
//! at most one point (at most 18 digits). It gives exactly what the strict parser gives for such
//! a row (the same instant, the same decimal with the same scale) and `None` for anything else,
//! so every other row, and every row with a mistake, takes the strict path and its error message.

use chrono::{NaiveDate, NaiveTime, TimeZone};
use rust_decimal::Decimal;

use super::{MAX_CANDLE_PRICE, MAX_CANDLE_VOLUME};
use crate::market::{Candle, IstTime, Symbol, IST};

/// The seven fields of a row split at its commas, or `None` when there are not seven.
pub(super) fn fields(row: &str) -> Option<[&str; 7]> {
    // One pass over the bytes: for fields this short, cheaper than `split(',')`'s searcher.
    let mut out = [""; 7];
    let mut start = 0;
    let mut filled = 0;
    for (i, &b) in row.as_bytes().iter().enumerate() {
        if b == b',' {
            // A comma is one byte, so `start..i` lies on character boundaries.
            *out.get_mut(filled)? = row.get(start..i)?;
            filled += 1;
            start = i + 1;
        }
    }
    if filled != 6 {
        return None;
    }
    out[6] = row.get(start..)?;
    Some(out)
}

/// The timestamp `YYYY-MM-DDTHH:MM:SS+05:30` as an IST time; `None` for any other form.
pub(super) fn ist_timestamp(text: &str) -> Option<IstTime> {
    let b = text.as_bytes();
    if b.len() != 25
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || &b[19..] != b"+05:30"
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(5, 7)?, number(8, 10)?)?;
    let time = NaiveTime::from_hms_opt(number(11, 13)?, number(14, 16)?, number(17, 19)?)?;
    IST.from_local_datetime(&date.and_time(time)).single()
}

/// Plain digits with at most one point between digits (`48581.25`, `820`), at most 18 digits,
/// up to [`MAX_CANDLE_PRICE`], as the decimal `Decimal::from_str` makes of it (same scale).
pub(super) fn price(text: &str) -> Option<Decimal> {
    let b = text.as_bytes();
    let mut mantissa: i64 = 0;
    let mut digits = 0u32;
    let mut scale: Option<u32> = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + i64::from(c - b'0');
                digits += 1;
                if digits > 18 {
                    return None;
                }
                if let Some(s) = scale.as_mut() {
                    *s += 1;
                }
            }
            b'.' if scale.is_none() && i > 0 && i + 1 < b.len() => scale = Some(0),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let value = Decimal::new(mantissa, scale.unwrap_or(0));
    (value <= MAX_CANDLE_PRICE).then_some(value)
}

/// Plain digits up to [`MAX_CANDLE_VOLUME`].
pub(super) fn volume(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.is_empty() || b.len() > 13 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = b.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    (v <= MAX_CANDLE_VOLUME).then_some(v)
}

/// The candle of `fields` when every field is in the usual shape and the candle is valid,
/// `symbol` being the symbol of `fields[1]`.
pub(super) fn candle(fields: &[&str; 7], symbol: Symbol) -> Option<Candle> {
    let candle = Candle {
        symbol,
        timestamp: ist_timestamp(fields[0])?,
        open: price(fields[2])?,
        high: price(fields[3])?,
        low: price(fields[4])?,
        close: price(fields[5])?,
        volume: volume(fields[6])?,
    };
    candle.validate().is_ok().then_some(candle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;
    use std::str::FromStr;

    /// A decimal's exact form: value and scale.
    fn exact(d: Decimal) -> (i128, u32) {
        (d.mantissa(), d.scale())
    }

    #[test]
    fn usual_shapes_read_as_the_strict_parser_reads_them() {
        for text in [
            "48581.25",
            "820",
            "0.05",
            "0012.50",
            "48620.00",
            "999999999",
        ] {
            assert_eq!(
                price(text).map(exact),
                Some(exact(Decimal::from_str(text).unwrap())),
                "{text}"
            );
        }
        for text in [
            "",
            ".5",
            "5.",
            "1.2.3",
            "-1",
            "+1",
            "1e3",
            " 1",
            "1000000001",
            "1234567890123456789",
        ] {
            assert_eq!(price(text), None, "{text}");
        }
        let t = "2024-04-29T09:15:00+05:30";
        assert_eq!(
            ist_timestamp(t),
            Some(DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&IST))
        );
        for text in [
            "2024-04-29T03:45:00Z",
            "2024-04-29T09:15:00+05:00",
            "2024-02-30T09:15:00+05:30",
            "2024-04-29T24:15:00+05:30",
            "2024-04-29 09:15:00+05:30",
            "2024-04-29T09:15:60+05:30",
        ] {
            assert_eq!(ist_timestamp(text), None, "{text}");
        }
        assert_eq!(volume("125000"), Some(125_000));
        assert_eq!(volume("-5"), None);
        assert_eq!(volume("1000000000001"), None);
    }

    proptest! {
        /// A row splits into its seven fields exactly when `split(',')` gives seven parts,
        /// into the same parts (multi-byte characters included).
        #[test]
        fn fields_are_those_of_split(row in "[a-z0-9,é.:-]{0,40}") {
            let parts: Vec<&str> = row.split(',').collect();
            let expected = (parts.len() == 7).then(|| {
                let mut out = [""; 7];
                out.copy_from_slice(&parts);
                out
            });
            prop_assert_eq!(fields(&row), expected);
        }

        /// Whatever the text, the fast price is either no answer or exactly the strict one
        /// (value and scale), within the price limit.
        #[test]
        fn a_fast_price_is_the_strict_price(text in "[0-9.+-]{0,22}") {
            if let Some(fast) = price(&text) {
                let strict = Decimal::from_str(&text).unwrap();
                prop_assert_eq!(exact(fast), exact(strict));
                prop_assert!(strict <= MAX_CANDLE_PRICE);
            }
        }

        /// Every valid time written in the usual form reads as the RFC 3339 parser reads it;
        /// a mangled one is no answer or the same instant.
        #[test]
        fn a_fast_timestamp_is_the_rfc3339_timestamp(
            secs in 0i64..4_102_444_800,
            pos in 0usize..25,
            byte in proptest::sample::select(b"0123456789:+-TZ ".to_vec()),
        ) {
            let t = DateTime::from_timestamp(secs, 0).unwrap().with_timezone(&IST);
            let text = t.format("%Y-%m-%dT%H:%M:%S+05:30").to_string();
            prop_assert_eq!(ist_timestamp(&text), Some(t));
            let mut mangled = text.into_bytes();
            mangled[pos] = byte;
            let mangled = String::from_utf8(mangled).unwrap();
            if let Some(fast) = ist_timestamp(&mangled) {
                let strict = DateTime::parse_from_rfc3339(&mangled).unwrap().with_timezone(&IST);
                prop_assert_eq!(fast, strict);
            }
        }
    }
}
