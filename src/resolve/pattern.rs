//! Syntax checks of AppArmor patterns (globs) after variable expansion, as
//! upstream's regex converter makes them: balanced `{}` and `[]`, every
//! `{...}` holding at least one `,`, nesting of `{}` below
//! [`MAX_ALTERNATION_DEPTH`], no trailing `\`.
//!
//! Only the syntax is checked here; turning patterns into automata is the
//! business of `compile`.

/// Upstream's limit on nested `{}` groups.
pub const MAX_ALTERNATION_DEPTH: usize = 50;

const SINGLE_ALTERNATIVE: &str = "a `{}` group needs at least two alternatives";

/// A help line for a problem reported by [`pattern_problem`].
pub fn pattern_help(problem: &str) -> Option<&'static str> {
    match problem {
        SINGLE_ALTERNATIVE => {
            Some("remove the braces around a single word, or write `{a,}` for `a` or nothing")
        }
        "pattern ends with a `\\` escape" => Some("remove the `\\`, or escape it as `\\\\`"),
        _ if problem.contains("without a matching") => {
            Some("add the missing bracket, or escape a literal one with `\\`")
        }
        _ => None,
    }
}

/// The problem with `pattern`, or `None` when it is well formed.
pub fn pattern_problem(pattern: &str) -> Option<String> {
    let mut commas: Vec<usize> = Vec::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        match chars[index] {
            '\\' if index + 1 == chars.len() => {
                return Some("pattern ends with a `\\` escape".into());
            }
            '\\' => index += 1,
            '[' => match class_end(&chars, index + 1) {
                Ok(end) => index = end,
                Err(problem) => return Some(problem),
            },
            ']' => return Some("`]` without a matching `[`".into()),
            '{' => {
                commas.push(0);
                if commas.len() >= MAX_ALTERNATION_DEPTH {
                    let limit = MAX_ALTERNATION_DEPTH;
                    return Some(format!("`{{}}` groups nested deeper than {limit} levels"));
                }
            }
            '}' => match commas.pop() {
                None => return Some("`}` without a matching `{`".into()),
                Some(0) => return Some(SINGLE_ALTERNATIVE.into()),
                Some(_) => {}
            },
            ',' => {
                if let Some(count) = commas.last_mut() {
                    *count += 1;
                }
            }
            _ => {}
        }
        index += 1;
    }
    if !commas.is_empty() {
        return Some("`{` without a matching `}`".into());
    }
    None
}

/// Checks a character class starting after its `[` at `start`; returns the
/// index of its `]`, or the problem.
///
/// As upstream's converter and regex grammar: the first unescaped `]`
/// closes the class, which may not be empty; `\-` is a plain `-` (the
/// needless escape is dropped); a `-` is literal first, and later must join
/// two characters into a range whose end is neither `-` nor `]`.
fn class_end(chars: &[char], start: usize) -> Result<usize, String> {
    let mut index = start;
    if chars.get(index) == Some(&'^') {
        index += 1;
    }
    let first_item = index;
    let mut can_start_range = false;
    while index < chars.len() {
        let (c, escaped, width) = class_char(chars, index);
        match c {
            ']' if !escaped && index == first_item => {
                return Err("empty character class `[]`".into());
            }
            ']' if !escaped => return Ok(index),
            '-' if index > first_item => {
                let (end, end_escaped, end_width) = class_char(chars, index + width);
                let bad_end = end == '-' || (end == ']' && !end_escaped) || end == '\0';
                if !can_start_range || bad_end {
                    return Err("`-` in a character class must join two characters".into());
                }
                index += width + end_width;
                can_start_range = false;
                continue;
            }
            _ => can_start_range = true,
        }
        index += width;
    }
    Err("`[` without a matching `]`".into())
}

/// The class member at `index`: its character, whether it was escaped
/// (`\-` counts as unescaped), and how many characters it spans. Past the
/// end it is `'\0'`.
fn class_char(chars: &[char], index: usize) -> (char, bool, usize) {
    match (chars.get(index), chars.get(index + 1)) {
        (Some('\\'), Some('-')) => ('-', false, 2),
        (Some('\\'), Some(&next)) => (next, true, 2),
        (Some(&c), _) => (c, false, 1),
        (None, _) => ('\0', false, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_syntax_as_upstream() {
        let cases = [
            ("/a/{b,c}", true),
            ("/a/{,b}", true),
            ("/a/{b}", false),
            ("/a/{b,c", false),
            ("/a/b}", false),
            ("/a/[abc]", true),
            ("/a/[]b]", false),
            ("/a/[]b", false),
            ("/a/[^]]", false),
            ("/a/[^]", false),
            ("/a/[\\-]", true),
            ("/a/[a\\-]", false),
            ("/a/[-]", true),
            ("/a/b]", false),
            ("/a/\\{b", true),
            ("/a/b\\", false),
            ("/a/[{]", true),
            ("/{a,{b,c}}", true),
            ("/a/[a-]", false),
            ("/a/[-a]", true),
            ("/a/[a-z-]", false),
            ("/a/[a-z-Z0-9]", false),
            ("/a/[z-a]", true),
            ("/a/[^-a]", true),
            ("/a/[a--]", false),
            ("/a/[a-z0-9_.-]", false),
            ("/a/[a-z0-9_.]", true),
        ];
        for (pattern, ok) in cases {
            assert_eq!(pattern_problem(pattern).is_none(), ok, "{pattern}");
        }
    }
}
