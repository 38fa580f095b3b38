//! A small, bounded matcher of one AppArmor pattern against one concrete
//! path, for the lints that only need to ask "does this rule cover
//! `/proc/kcore`?".
//!
//! FIXME: this is a stopgap until `compile` provides the pattern automaton;
//! lints that use it can only test sample paths, not every path a pattern
//! covers, and it gives up (answers `None`) on patterns past its limits.
//!
//! Semantics follow `apparmor_parser`: `*` is any run of bytes without `/`,
//! `**` any run of bytes, `?` one byte other than `/`, `[...]` a byte class,
//! `{a,b}` an alternation, `\` escapes the next byte. A `*` or `**` that is a
//! whole path component (`/*`, `/**/`) must match at least one byte, and its
//! first byte is not `/`.

/// At most this many alternatives after expanding `{..}`.
const MAX_EXPANSIONS: usize = 256;
/// At most this many backtracking steps per call, over all expansions.
const MAX_STEPS: usize = 20_000;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Byte(u8),
    /// `?`, and the first byte of a whole-component `*`: any byte but `/`.
    NotSlash,
    Star,
    DoubleStar,
    Class {
        negated: bool,
        ranges: Vec<(u8, u8)>,
    },
}

/// Whether `pattern` matches `path`, or `None` when the pattern is malformed
/// or the match would exceed the limits above.
pub fn matches(pattern: &str, path: &str) -> Option<bool> {
    let expansions = expand_braces(pattern.as_bytes())?;
    let mut steps = 0;
    for expansion in expansions {
        let tokens = tokenize(&expansion)?;
        if match_tokens(&tokens, path.as_bytes(), &mut steps)? {
            return Some(true);
        }
    }
    Some(false)
}

/// Expands every `{a,b}` (nesting allowed) into separate patterns.
fn expand_braces(pattern: &[u8]) -> Option<Vec<Vec<u8>>> {
    let Some(open) = find_unescaped(pattern, 0, b'{') else {
        return Some(vec![pattern.to_vec()]);
    };
    let (alternatives, close) = split_alternation(pattern, open)?;
    let mut expanded = Vec::new();
    for alternative in alternatives {
        let mut joined = pattern[..open].to_vec();
        joined.extend_from_slice(alternative);
        joined.extend_from_slice(&pattern[close + 1..]);
        expanded.extend(expand_braces(&joined)?);
        if expanded.len() > MAX_EXPANSIONS {
            return None;
        }
    }
    Some(expanded)
}

fn find_unescaped(pattern: &[u8], from: usize, wanted: u8) -> Option<usize> {
    let mut index = from;
    while index < pattern.len() {
        match pattern[index] {
            b'\\' => index += 1,
            byte if byte == wanted => return Some(index),
            _ => {}
        }
        index += 1;
    }
    None
}

/// The top-level alternatives of the `{` at `open`, and its matching `}`.
fn split_alternation(pattern: &[u8], open: usize) -> Option<(Vec<&[u8]>, usize)> {
    let mut depth = 0;
    let mut start = open + 1;
    let mut alternatives = Vec::new();
    let mut index = open;
    while index < pattern.len() {
        match pattern[index] {
            b'\\' => index += 1,
            b'{' => depth += 1,
            b',' if depth == 1 => {
                alternatives.push(&pattern[start..index]);
                start = index + 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    alternatives.push(&pattern[start..index]);
                    return Some((alternatives, index));
                }
            }
            _ => {}
        }
        index += 1;
    }
    None
}

fn tokenize(pattern: &[u8]) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < pattern.len() {
        let byte = pattern[index];
        index += 1;
        match byte {
            b'\\' => {
                tokens.push(Token::Byte(*pattern.get(index)?));
                index += 1;
            }
            b'?' => tokens.push(Token::NotSlash),
            b'*' => index = push_star(pattern, index - 1, &mut tokens),
            b'[' => index = push_class(pattern, index, &mut tokens)?,
            _ => tokens.push(Token::Byte(byte)),
        }
    }
    Some(tokens)
}

/// Pushes the `*` or `**` starting at `at`; returns the index after it.
fn push_star(pattern: &[u8], at: usize, tokens: &mut Vec<Token>) -> usize {
    let run = pattern[at..].iter().take_while(|&&b| b == b'*').count();
    let after = at + run;
    let after_slash = at > 0 && pattern[at - 1] == b'/';
    let whole_component = after_slash && matches!(pattern.get(after), None | Some(b'/'));
    if whole_component {
        tokens.push(Token::NotSlash);
    }
    tokens.push(if run >= 2 {
        Token::DoubleStar
    } else {
        Token::Star
    });
    after
}

/// Pushes the class whose `[` is just before `from`; returns the index after
/// its `]`.
fn push_class(pattern: &[u8], from: usize, tokens: &mut Vec<Token>) -> Option<usize> {
    let mut index = from;
    let negated = matches!(pattern.get(index), Some(b'^'));
    if negated {
        index += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut low = *pattern.get(index)?;
        if low == b']' && !first {
            break;
        }
        if low == b'\\' {
            index += 1;
            low = *pattern.get(index)?;
        }
        first = false;
        index += 1;
        let mut high = low;
        if pattern.get(index) == Some(&b'-') && pattern.get(index + 1).is_some_and(|&b| b != b']') {
            high = pattern[index + 1];
            index += 2;
        }
        ranges.push((low, high));
    }
    tokens.push(Token::Class { negated, ranges });
    Some(index + 1)
}

fn match_tokens(tokens: &[Token], path: &[u8], steps: &mut usize) -> Option<bool> {
    *steps += 1;
    if *steps > MAX_STEPS {
        return None;
    }
    let Some((token, rest)) = tokens.split_first() else {
        return Some(path.is_empty());
    };
    match token {
        Token::Star | Token::DoubleStar => {
            let crosses = *token == Token::DoubleStar;
            for taken in 0..=path.len() {
                if match_tokens(rest, &path[taken..], steps)? {
                    return Some(true);
                }
                if taken < path.len() && path[taken] == b'/' && !crosses {
                    break;
                }
            }
            Some(false)
        }
        _ => match path.split_first() {
            Some((&byte, path)) if single_byte_matches(token, byte) => {
                match_tokens(rest, path, steps)
            }
            _ => Some(false),
        },
    }
}

fn single_byte_matches(token: &Token, byte: u8) -> bool {
    match token {
        Token::Byte(wanted) => byte == *wanted,
        Token::NotSlash => byte != b'/',
        Token::Class { negated, ranges } => {
            let inside = ranges
                .iter()
                .any(|&(low, high)| (low..=high).contains(&byte));
            inside != *negated && byte != b'/'
        }
        Token::Star | Token::DoubleStar => false,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn matches_like_apparmor() {
        let cases = [
            ("/proc/kcore", "/proc/kcore", Some(true)),
            ("/proc/kcor", "/proc/kcore", Some(false)),
            ("/proc/*", "/proc/kcore", Some(true)),
            ("/proc/*", "/proc/", Some(false)),
            ("/*", "/proc/kcore", Some(false)),
            ("/**", "/proc/kcore", Some(true)),
            ("/{**,}", "/proc/kcore", Some(true)),
            ("/**", "/", Some(false)),
            ("/{**,}", "/", Some(true)),
            ("/proc/k*e", "/proc/kcore", Some(true)),
            ("/proc/sysrq-trigge?", "/proc/sysrq-trigger", Some(true)),
            ("/proc/[kx]core", "/proc/kcore", Some(true)),
            ("/proc/[^k]core", "/proc/kcore", Some(false)),
            ("/proc/[a-l]core", "/proc/kcore", Some(true)),
            ("/{sys,proc}/kcore", "/proc/kcore", Some(true)),
            ("/{sys,{dev,proc}}/k{core,mem}", "/proc/kcore", Some(true)),
            (
                "/sys/kernel/security/**",
                "/sys/kernel/security/apparmor/.load",
                Some(true),
            ),
            (
                "/sys/kernel/*/apparmor/*",
                "/sys/kernel/security/apparmor/.load",
                Some(true),
            ),
            ("/proc/\\*", "/proc/*", Some(true)),
            ("/proc/\\*", "/proc/kcore", Some(false)),
            ("/proc/{kcore", "/proc/kcore", None),
            ("/proc/[kcore", "/proc/kcore", None),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(matches(pattern, path), expected, "{pattern} on {path}");
        }
    }

    #[test]
    fn gives_up_past_the_limits() {
        let many_braces = "/{a,b}".repeat(9);
        assert_eq!(matches(&many_braces, "/a/a"), None);
        let many_stars = format!("/{}x", "*a".repeat(40));
        assert_eq!(matches(&many_stars, &format!("/{}", "a".repeat(60))), None);
    }
}
