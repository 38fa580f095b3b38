//! Paths a glob might match, drawn at random without aaprove's compiler,
//! for differential tests that compare decisions on sample paths.

/// A small deterministic generator, so that paths shrink with the seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A path the glob might match: each wildcard replaced by a random
/// choice, without using aaprove's own compiler.
pub fn instantiate(glob: &str, rng: &mut Rng) -> String {
    let bytes = glob.as_bytes();
    let mut out = String::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let rest = &glob[pos..];
        let (text, used): (&str, usize) = if rest.starts_with("**") {
            (["", "a", "a/b", "b/", "x.y"][rng.below(5)], 2)
        } else if rest.starts_with('*') {
            (["", "a", "ab", "b.c"][rng.below(4)], 1)
        } else if rest.starts_with('?') {
            (["a", "/", "c"][rng.below(3)], 1)
        } else if rest.starts_with("\\*") {
            ("*", 2)
        } else if let Some(end) = rest.find(']').filter(|_| rest.starts_with('[')) {
            (["a", "b", "/", "*", "c"][rng.below(5)], end + 1)
        } else if rest.starts_with('{') || rest.starts_with('}') || rest.starts_with(',') {
            (["", "a", "b", "c"][rng.below(4)], skip_group(rest))
        } else {
            (&rest[..1], 1)
        };
        out.push_str(text);
        pos += used;
    }
    out
}

/// Length of the `{...}` group (or stray `,`/`}`) at the start of `text`.
fn skip_group(text: &str) -> usize {
    let mut depth = 0;
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'{' => depth += 1,
            b'}' if depth <= 1 => return index + 1,
            b'}' => depth -= 1,
            _ if depth == 0 => return 1,
            _ => {}
        }
    }
    text.len()
}

/// Changes `path`, a path a pattern matches, into one that may just miss
/// it, or leaves it as it is: a `/` or `a` added, the last character
/// dropped, or the first `a` turned into a `/`, each one time in six.
pub fn near_miss(path: &mut String, rng: &mut Rng) {
    match rng.below(6) {
        0 => path.push('/'),
        1 => path.push('a'),
        2 => {
            path.pop();
        }
        3 => *path = path.replacen('a', "/", 1),
        _ => {}
    }
}
