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
        format!(
            "AS{:02}{:02}{:02}{:05}",
            d.year().rem_euclid(100),
            d.month(),
            d.day(),
            seq % 100_000
        )
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
}
