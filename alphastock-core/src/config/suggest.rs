//! "Did you mean" suggestions for unknown keys.

/// The closest of `known` to `typed` by edit distance, if it is close enough to be a typo
/// (at most a third of the word's length, and at least 1).
pub(crate) fn closest<'a>(typed: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (typed.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (edit_distance(typed, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance between two strings, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let known = ["risk_management", "enabled", "target_calculation_method"];
        assert_eq!(closest("risk_managment", &known), Some("risk_management"));
        assert_eq!(closest("enabeld", &known), Some("enabled"));
        assert_eq!(closest("zzz", &known), None);
    }
}
