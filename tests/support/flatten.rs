//! A test-only reader of real profiles, enough to compare their file rules.
//!
//! It is not aaprove's parser (that lives in `parse` and `resolve`): it
//! reads the output of `apparmor_parser -p` (includes already expanded),
//! collects variable definitions, and turns the first profile's simple
//! file rule lines into [`FileRuleLine`]s with variables expanded the way
//! upstream expands them (one value inline, several as `{a,b}`). Lines it
//! does not understand are returned as skipped so a test can see them.

use std::collections::HashMap;

/// A file rule of a real profile, variables expanded.
#[derive(Clone, Debug)]
pub struct FileRuleLine {
    pub qualifiers: Vec<String>,
    pub pattern: String,
    pub perms: String,
    pub target: Option<String>,
    /// A `link [subset] PATH -> TARGET` rule.
    pub link_rule: bool,
    pub link_subset: bool,
}

/// The first profile of a preprocessed policy.
#[derive(Debug, Default)]
pub struct FlatProfile {
    pub name: String,
    pub rules: Vec<FileRuleLine>,
    /// Names of nested blocks: `^hat` for hats, plain names for children.
    pub children: Vec<String>,
    pub has_change_profile: bool,
    /// Statements of the profile body that were not read as file rules
    /// although they might be ones.
    pub skipped: Vec<String>,
}

/// Reads `text` (the output of `apparmor_parser -p`).
pub fn flatten(text: &str) -> FlatProfile {
    let statements = statements(text);
    let variables = variables(&statements);
    let mut profile = FlatProfile::default();
    let mut depth = 0;
    for statement in &statements {
        if let Some(header) = statement.strip_suffix('{') {
            depth += 1;
            match depth {
                1 => profile.name = block_name(header),
                2 => profile.children.push(block_name(header)),
                _ => {}
            }
            continue;
        }
        if statement == "}" {
            depth -= 1;
            if depth == 0 && !profile.name.is_empty() {
                break;
            }
            continue;
        }
        if depth == 1 {
            read_statement(statement, &variables, &mut profile);
        }
    }
    profile
}

/// Splits the text into statements: lines joined until one ends in `,`,
/// `{` or is `}`; comments and blank lines dropped.
fn statements(text: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = strip_comment(line).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
        let ends = line.ends_with(',') || line.ends_with('{') || line == "}";
        let is_variable = line.starts_with("@{") && line.contains('=');
        if ends || is_variable {
            statements.push(std::mem::take(&mut current));
        }
    }
    statements
}

/// The line without a trailing `# comment` (a `#` after white space,
/// outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut previous = ' ';
    for (index, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && previous.is_whitespace() => return &line[..index],
            _ => {}
        }
        previous = c;
    }
    line
}

fn block_name(header: &str) -> String {
    let owned = split_words(header);
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    let name = match words.first() {
        Some(&"profile") | Some(&"hat") => words.get(1).copied().unwrap_or(""),
        Some(first) => first,
        None => "",
    };
    name.to_string()
}

/// Variable definitions, `@{X}=a b` and `@{X}+=c`.
fn variables(statements: &[String]) -> HashMap<String, Vec<String>> {
    let mut variables: HashMap<String, Vec<String>> = HashMap::new();
    for statement in statements.iter().filter(|s| s.starts_with("@{")) {
        let Some((name, values)) = statement.split_once('=') else {
            continue;
        };
        let (name, append) = match name.trim().strip_suffix('+') {
            Some(name) => (name.trim(), true),
            None => (name.trim(), false),
        };
        let values: Vec<String> = values
            .split_whitespace()
            .map(|v| v.trim_matches('"').to_string())
            .collect();
        let entry = variables.entry(name.to_string()).or_default();
        if !append {
            entry.clear();
        }
        entry.extend(values);
    }
    let names: Vec<String> = variables.keys().cloned().collect();
    names
        .iter()
        .filter_map(|name| Some((name.clone(), distribute(&variables[name], &variables, 0)?)))
        .collect()
}

/// The values of a variable with the variables inside them expanded as
/// upstream does in definitions: every combination becomes one value (not
/// an alternation), so `@{H}/x` with `@{H}=/a/ /b/` gives `/a//x /b//x`.
fn distribute(
    values: &[String],
    variables: &HashMap<String, Vec<String>>,
    depth: usize,
) -> Option<Vec<String>> {
    if depth > 20 {
        return None;
    }
    let mut out = Vec::new();
    for value in values {
        let Some(start) = value.find("@{") else {
            out.push(value.clone());
            continue;
        };
        let end = start + value[start..].find('}')?;
        let inner = distribute(variables.get(&value[start..=end])?, variables, depth + 1)?;
        let combined: Vec<String> = inner
            .iter()
            .map(|v| format!("{}{v}{}", &value[..start], &value[end + 1..]))
            .collect();
        out.extend(distribute(&combined, variables, depth + 1)?);
    }
    Some(out)
}

/// Expands every `@{X}` in `text` as upstream does: the first variable
/// left, again and again; one value goes in as is, several as `{a,b}`,
/// without their leading `/` when the text before ends in `/` and without
/// their trailing `/` when the text after starts with `/`. `None` for an
/// unknown variable.
fn expand(text: &str, variables: &HashMap<String, Vec<String>>) -> Option<String> {
    let mut text = text.to_string();
    for _ in 0..1000 {
        let Some(start) = text.find("@{") else {
            return Some(text);
        };
        let end = start + text[start..].find('}')?;
        let values = variables.get(&text[start..=end])?;
        let (prefix, suffix) = (&text[..start], &text[end + 1..]);
        let middle = if values.len() == 1 {
            values[0].clone()
        } else {
            let trimmed: Vec<&str> = values
                .iter()
                .map(|value| {
                    let value = if prefix.ends_with('/') {
                        value.trim_start_matches('/')
                    } else {
                        value
                    };
                    if suffix.starts_with('/') {
                        value.trim_end_matches('/')
                    } else {
                        value
                    }
                })
                .collect();
            format!("{{{}}}", trimmed.join(","))
        };
        text = format!("{prefix}{middle}{suffix}");
    }
    None
}

const QUALIFIERS: &[&str] = &["audit", "allow", "deny", "owner", "other"];

fn read_statement(
    statement: &str,
    variables: &HashMap<String, Vec<String>>,
    profile: &mut FlatProfile,
) {
    let body = statement.trim_end_matches(',').trim();
    let owned = split_words(body);
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    let at = words.iter().take_while(|w| QUALIFIERS.contains(w)).count();
    let qualifiers: Vec<String> = words[..at].iter().map(|w| w.to_string()).collect();
    let rest = &words[at..];
    match rest.first() {
        Some(&"change_profile") => profile.has_change_profile = true,
        Some(&"file") if rest.len() == 1 => profile.rules.push(FileRuleLine {
            qualifiers,
            pattern: "/{**,}".to_string(),
            perms: "rwlkmix".to_string(),
            target: None,
            link_rule: false,
            link_subset: false,
        }),
        Some(word) if word.starts_with('/') || word.starts_with("@{") => {
            match file_rule(qualifiers, rest, variables) {
                Some(rule) => profile.rules.push(rule),
                None => profile.skipped.push(statement.to_string()),
            }
        }
        Some(&"link") => {
            let subset = rest.get(1) == Some(&"subset");
            match &rest[1 + subset as usize..] {
                [path, "->", target] => profile.rules.push(FileRuleLine {
                    qualifiers,
                    pattern: expand(path, variables).unwrap_or_default(),
                    perms: "l".to_string(),
                    target: expand(target, variables),
                    link_rule: true,
                    link_subset: subset,
                }),
                _ => profile.skipped.push(statement.to_string()),
            }
        }
        Some(word) if *word == "file" => profile.skipped.push(statement.to_string()),
        _ => {}
    }
}

/// Splits at white space, keeping a quoted word whole without its quotes.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn file_rule(
    qualifiers: Vec<String>,
    words: &[&str],
    variables: &HashMap<String, Vec<String>>,
) -> Option<FileRuleLine> {
    let perms = *words.get(1)?;
    let perm_letters = "rwaklmxiupcRWAKLMXIUPC";
    if perms.is_empty() || !perms.chars().all(|c| perm_letters.contains(c)) {
        return None;
    }
    let target = match words.get(2..) {
        Some(["->", target]) => Some(expand(target, variables)?),
        Some([]) => None,
        _ => return None,
    };
    let perms = perms.to_lowercase_except_exec();
    if !valid_perms(&perms) {
        return None;
    }
    Some(FileRuleLine {
        qualifiers,
        pattern: expand(words[0], variables)?,
        perms,
        target,
        link_rule: false,
        link_subset: false,
    })
}

/// Access letters, and exec modes such as `ix`, `Px`, `cux`, `x`.
fn valid_perms(perms: &str) -> bool {
    let mut chars = perms.chars().peekable();
    while let Some(c) = chars.next() {
        if "rwaklmx".contains(c) {
            continue;
        }
        if !"iupcIUPC".contains(c) {
            return false;
        }
        if chars.peek().is_some_and(|n| "iuIU".contains(*n)) {
            chars.next();
        }
        if chars.next() != Some('x') {
            return false;
        }
    }
    true
}

trait PermsCase {
    fn to_lowercase_except_exec(&self) -> String;
}

impl PermsCase for str {
    /// Deprecated upper-case access letters (`R`, `W`, ...) are lower-cased;
    /// upper-case exec modes (`Px`, `Ux`, `Cx`) keep their meaning.
    fn to_lowercase_except_exec(&self) -> String {
        self.chars()
            .map(|c| {
                if "RWALMX".contains(c) {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect()
    }
}
