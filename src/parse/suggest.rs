//! "Did you mean" suggestions: the known name nearest to a misspelt one.
//!
//! Distance is the optimal string alignment distance (insertions,
//! deletions, substitutions and swaps of two neighbours), compared without
//! regard to ASCII case. A suggestion is made only within a bound that
//! grows with the word's length, so short unrelated words are not offered.
//! Words longer than [`MAX_WORD`] are never compared, which keeps the
//! quadratic distance cheap on hostile input.

/// The longest word compared, in characters.
pub const MAX_WORD: usize = 64;

/// The edit distance allowed between a word of `len` characters and a
/// suggestion: one edit per three characters, at least one.
fn allowed_distance(len: usize) -> usize {
    (len / 3).max(1)
}

/// The candidate nearest to `word` within the allowed distance; on a tie
/// the first candidate wins. `None` when `word` is itself a candidate.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word: Vec<char> = word.chars().map(|c| c.to_ascii_lowercase()).collect();
    if word.is_empty() || word.len() > MAX_WORD {
        return None;
    }
    let bound = allowed_distance(word.len());
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let other: Vec<char> = candidate.chars().map(|c| c.to_ascii_lowercase()).collect();
        if other.len().abs_diff(word.len()) > bound || other.len() > MAX_WORD {
            continue;
        }
        let distance = distance(&word, &other);
        if distance == 0 {
            return None;
        }
        if distance <= bound && best.is_none_or(|(previous, _)| distance < previous) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The optimal string alignment distance between two words.
fn distance(a: &[char], b: &[char]) -> usize {
    // rows[0] is two rows back, rows[1] the previous row, rows[2] this row.
    let mut rows = [
        vec![0; b.len() + 1],
        (0..=b.len()).collect(),
        vec![0; b.len() + 1],
    ];
    for i in 1..=a.len() {
        rows[2][0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[1][j] + 1)
                .min(rows[2][j - 1] + 1)
                .min(rows[1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[0][j - 2] + 1);
            }
            rows[2][j] = best;
        }
        rows.rotate_left(1);
    }
    rows[1][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        let cases = [
            ("", "", 0),
            ("abc", "abc", 0),
            ("abc", "abd", 1),
            ("abc", "acb", 1),
            ("capabilty", "capability", 1),
            ("kitten", "sitting", 3),
            ("", "abc", 3),
        ];
        for (a, b, expected) in cases {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            assert_eq!(distance(&a, &b), expected, "{a:?} {b:?}");
        }
    }

    #[test]
    fn nearest_names_within_the_bound() {
        let names = ["sys_admin", "sys_nice", "chown", "setuid", "setgid"];
        let cases = [
            ("sys_admn", Some("sys_admin")),
            ("SYS_ADMIN", None),
            ("chwon", Some("chown")),
            ("setuidd", Some("setuid")),
            ("xyz", None),
            ("sys", None),
            ("a", None),
        ];
        for (word, expected) in cases {
            assert_eq!(nearest(word, names), expected, "{word}");
        }
        let long = "a".repeat(MAX_WORD + 1);
        assert_eq!(nearest(&long, [long.as_str()]), None);
    }
}
