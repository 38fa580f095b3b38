//! Syntax checks of AppArmor patterns (globs) after variable expansion, as
//! upstream's regex converter makes them: balanced `{}` and `[]`, every
//! `{...}` holding at least one `,`, nesting of `{}` below
//! [`MAX_ALTERNATION_DEPTH`], no trailing `\`.
//!
//! Only the syntax is checked here; turning patterns into automata is the
//! business of `compile`.

/// Upstream's limit on nested `{}` groups.
pub const MAX_ALTERNATION_DEPTH: usize = 50;

/// The problem with `pattern`, or `None` when it is well formed.
pub fn pattern_problem(pattern: &str) -> Option<String> {
    let mut commas: Vec<usize> = Vec::new();
    let mut in_class = false;
    let mut class_start = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if chars.next().is_none() {
                return Some("pattern ends with a `\\` escape".into());
            }
            class_start = false;
            continue;
        }
        if in_class {
            // A `]` right after `[` or `[^` is a literal member.
            if c == ']' && !class_start {
                in_class = false;
            }
            class_start = class_start && c == '^';
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                class_start = true;
            }
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
                Some(0) => return Some("a `{}` group needs at least two alternatives".into()),
                Some(_) => {}
            },
            ',' => {
                if let Some(count) = commas.last_mut() {
                    *count += 1;
                }
            }
            _ => {}
        }
    }
    if in_class {
        return Some("`[` without a matching `]`".into());
    }
    if !commas.is_empty() {
        return Some("`{` without a matching `}`".into());
    }
    None
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
            ("/a/[]b]", true),
            ("/a/[]b", false),
            ("/a/[^]]", true),
            ("/a/b]", false),
            ("/a/\\{b", true),
            ("/a/b\\", false),
            ("/a/[{]", true),
            ("/{a,{b,c}}", true),
        ];
        for (pattern, ok) in cases {
            assert_eq!(pattern_problem(pattern).is_none(), ok, "{pattern}");
        }
    }
}
