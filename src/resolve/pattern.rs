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
///
/// Two passes, as upstream: its converter turns the glob into regex text
/// (checking `{}` groups and that every `]` closes a `[`), then its regex
/// grammar parses that text. The converter rewrites `*` and `?` into
/// classes of their own even inside `[...]`, so the classes the regex
/// grammar sees are not always the ones written.
pub fn pattern_problem(pattern: &str) -> Option<String> {
    let regex = match converted(pattern) {
        Ok(regex) => regex,
        Err(problem) => return Some(problem),
    };
    let chars: Vec<char> = regex.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        match chars[index] {
            '\\' => index += 1,
            '[' => match class_end(&chars, index + 1) {
                Ok(end) => index = end,
                Err(problem) => return Some(problem),
            },
            _ => {}
        }
        index += 1;
    }
    None
}

/// The regex text of upstream's converter, as far as the regex grammar's
/// classes depend on it, or the converter's error.
fn converted(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len());
    let mut commas: Vec<usize> = Vec::new();
    let mut in_class = false;
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        match c {
            '\\' => {
                let Some(&next) = chars.get(index + 1) else {
                    return Err("pattern ends with a `\\` escape".into());
                };
                escaped(&mut out, next, in_class);
                index += 1;
            }
            '*' => {
                let double = chars.get(index + 1) == Some(&'*');
                out.push_str(if double { "[^\\x00]*" } else { "[^/\\x00]*" });
                index += usize::from(double);
            }
            '?' => out.push_str("[^/\\x00]"),
            '[' => {
                in_class = true;
                out.push('[');
            }
            ']' if !in_class => return Err("`]` without a matching `[`".into()),
            ']' => {
                in_class = false;
                out.push(']');
            }
            '{' | '}' | ',' if in_class => out.push(c),
            '{' => {
                commas.push(0);
                if commas.len() >= MAX_ALTERNATION_DEPTH {
                    let limit = MAX_ALTERNATION_DEPTH;
                    return Err(format!("`{{}}` groups nested deeper than {limit} levels"));
                }
                out.push('(');
            }
            '}' => match commas.pop() {
                None => return Err("`}` without a matching `{`".into()),
                Some(0) => return Err(SINGLE_ALTERNATIVE.into()),
                Some(_) => out.push(')'),
            },
            ',' => match commas.last_mut() {
                Some(count) => {
                    *count += 1;
                    out.push('|');
                }
                None => out.push(','),
            },
            _ => out.push(c),
        }
        index += 1;
    }
    if !commas.is_empty() {
        return Err("`{` without a matching `}`".into());
    }
    if in_class {
        return Err("`[` without a matching `]`".into());
    }
    Ok(out)
}

/// The converter's text for `\\next`: the characters special to the regex
/// grammar stay escaped, others lose the backslash (upstream drops a
/// needless one, so `\\-` is a plain `-`).
fn escaped(out: &mut String, next: char, in_class: bool) {
    let keeps = match next {
        '\\' | '*' | '[' | ']' | '{' | '}' => true,
        ',' => in_class,
        // Upstream writes `^` and `$` bare inside a class, escaped or not.
        '^' | '$' => !in_class,
        c => c.is_ascii_alphanumeric(),
    };
    if keeps {
        out.push('\\');
    }
    out.push(next);
}

/// Checks a character class of the regex text starting after its `[` at
/// `start`; returns the index of its `]`, or the problem.
///
/// As upstream's regex grammar: a `]` first (after an optional `^`) is a
/// member, the next unescaped `]` closes the class; a `-` is literal
/// first, and later must join two characters into a range whose end is
/// neither `-` nor `]`.
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
            ']' if !escaped && index > first_item => return Ok(index),
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

/// The class member at `index`: its character, whether it was escaped,
/// and how many characters it spans. Past the end it is `'\0'`.
fn class_char(chars: &[char], index: usize) -> (char, bool, usize) {
    match (chars.get(index), chars.get(index + 1)) {
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
            // `*` and `?` become classes of their own, even inside `[...]`.
            ("/a/phy[]*/name", true),
            ("/a/[][a]", true),
            ("/a/[0-9=*[0-9]", true),
            ("/a/[=*[]", false),
            ("/a/[*]", true),
            ("/a/[\\^]", false),
            ("/a/[x\\^]", true),
        ];
        for (pattern, ok) in cases {
            assert_eq!(pattern_problem(pattern).is_none(), ok, "{pattern}");
        }
    }
}
