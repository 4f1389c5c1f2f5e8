use chrono::Datelike;

use crate::market::{IstTime, IST};

/// Makes the unique client tags orders are placed with, so an order can be found again by its
/// tag after a timeout or a restart.
///
/// Form: `AS` + `YYMMDD` (IST date of the order) + a 5-digit sequence, e.g. `AS2601050007`:
/// 13 upper-case letters and digits, within the broker's tag limits. The sequence runs for the
/// life of the generator; after a restart the caller seeds it past the highest tag in its journal
/// with [`TagGenerator::resume_after`], so a tag is never reused.
#[derive(Debug, Clone, Default)]
pub struct TagGenerator {
    next: u32,
}

impl TagGenerator {
    /// A generator starting at sequence 1.
    pub fn new() -> Self {
        Self { next: 1 }
    }

    /// The next tag for an order placed at `now`.
    pub fn next_tag(&mut self, now: IstTime) -> String {
        let d = now.with_timezone(&IST);
        let seq = self.next.max(1);
        self.next = seq.saturating_add(1);
        // Written digit by digit (the same text as `format!("AS{:02}{:02}{:02}{:05}", ...)`):
        // a tag is made for every order, and the formatter is most of its cost.
        let mut tag = String::with_capacity(13);
        tag.push_str("AS");
        push_digits(&mut tag, d.year().rem_euclid(100).unsigned_abs(), 2);
        push_digits(&mut tag, d.month(), 2);
        push_digits(&mut tag, d.day(), 2);
        push_digits(&mut tag, seq % 100_000, 5);
        tag
    }

    /// Makes the next sequence follow the highest one among `existing_tags` (tags this
    /// generator made earlier; others are ignored).
    pub fn resume_after<'a>(&mut self, existing_tags: impl IntoIterator<Item = &'a str>) {
        let highest = existing_tags
            .into_iter()
            .filter_map(Self::sequence_of)
            .max()
            .unwrap_or(0);
        self.next = self.next.max(highest.saturating_add(1));
    }

    /// The sequence number inside a tag made by this generator.
    pub fn sequence_of(tag: &str) -> Option<u32> {
        if tag.len() != 13 || !tag.starts_with("AS") {
            return None;
        }
        tag.get(8..).and_then(|s| s.parse().ok())
    }
}

/// Appends the last `width` decimal digits of `value`, zero-padded on the left.
fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn tags_are_unique_and_resume_after_a_restart() {
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:15:00+05:30").unwrap();
        let mut g = TagGenerator::new();
        assert_eq!(g.next_tag(t), "AS26010500001");
        assert_eq!(g.next_tag(t), "AS26010500002");
        let mut restarted = TagGenerator::new();
        restarted.resume_after(["AS26010500002", "AS26010500001", "foreign-tag"]);
        assert_eq!(restarted.next_tag(t), "AS26010500003");
    }

    proptest::proptest! {
        /// The tag written digit by digit is the formatter's text for any date and sequence.
        #[test]
        fn tags_match_the_formatted_text(
            days in 0i64..40_000,
            minute in 0i64..1440,
            next in 0u32..=u32::MAX,
        ) {
            let t = DateTime::parse_from_rfc3339("2000-01-01T00:00:00+05:30").unwrap()
                + chrono::Duration::days(days)
                + chrono::Duration::minutes(minute);
            let mut g = TagGenerator { next };
            let seq = next.max(1);
            let d = t.with_timezone(&IST);
            let expected = format!(
                "AS{:02}{:02}{:02}{:05}",
                d.year().rem_euclid(100),
                d.month(),
                d.day(),
                seq % 100_000
            );
            proptest::prop_assert_eq!(g.next_tag(t), expected);
        }
    }
}
