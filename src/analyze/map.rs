//! The tree of `aaprove map`: an inventory of paths, each with a decision,
//! shown as a directory tree in which every subtree whose entries share one
//! decision is folded into a single line.
//!
//! The inventory is a list of absolute paths as the kernel presents them to
//! AppArmor, directories ending in `/` (see fixtures/inventory/). The
//! decision is any value computed per path by the caller (allow, deny or
//! no rule; or a pair of them for two profiles). This module only builds
//! and renders the tree; it knows nothing of how decisions are made.
//!
//! Invariants of the rendered tree:
//!
//! - every inventory entry is stood for by exactly one line, so the
//!   [`MapLine::entries`] of all lines add up to [`MapTree::total`];
//! - a folded line stands for a directory and everything below it, and all
//!   those entries have the decision printed on it;
//! - a directory that is not itself an entry and has one child is joined
//!   with that child into one label (`/proc/sys/` rather than `/`, `proc/`,
//!   `sys/`).

use std::collections::BTreeMap;
use std::fmt;

use anstyle::{AnsiColor, Style};

/// The most path components a path may have; deeper paths are refused so
/// that the recursive walks over the tree stay within the stack.
pub const MAX_DEPTH: usize = 256;

/// A decision that `aaprove map` can print.
pub trait MapDecision: Eq + Clone {
    /// The word printed at the end of a line: `allow`, `deny`, ...
    fn label(&self) -> String;

    /// The colour of the label when colour is on.
    fn style(&self) -> Style {
        Style::new()
    }
}

/// What a profile decides for one permission on one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapAccess {
    /// A rule allows it.
    Allow,
    /// An explicit deny rule denies it.
    Deny,
    /// No rule matches: denied without a rule saying so.
    NoRule,
}

impl MapDecision for MapAccess {
    fn label(&self) -> String {
        match self {
            MapAccess::Allow => "allow",
            MapAccess::Deny => "deny",
            MapAccess::NoRule => "none",
        }
        .to_string()
    }

    fn style(&self) -> Style {
        let colour = match self {
            MapAccess::Allow => AnsiColor::Green,
            MapAccess::Deny => AnsiColor::Red,
            MapAccess::NoRule => AnsiColor::BrightBlack,
        };
        Style::new().fg_color(Some(colour.into()))
    }
}

/// Two decisions, such as a base profile's and a new one's, printed
/// `deny → allow`; coloured as the second when they differ, dimmed when
/// they are equal.
impl<A: MapDecision, B: MapDecision> MapDecision for (A, B) {
    fn label(&self) -> String {
        format!("{} → {}", self.0.label(), self.1.label())
    }

    fn style(&self) -> Style {
        if self.0.label() == self.1.label() {
            Style::new().dimmed()
        } else {
            self.1.style().bold()
        }
    }
}

/// An inventory path that cannot be placed in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The path does not start with `/`.
    NotAbsolute { index: usize, path: String },
    /// The path has more components than [`MAX_DEPTH`].
    TooDeep {
        index: usize,
        depth: usize,
        limit: usize,
    },
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::NotAbsolute { index, path } => {
                write!(
                    f,
                    "inventory entry {} is not an absolute path: `{path}`",
                    index + 1
                )
            }
            MapError::TooDeep {
                index,
                depth,
                limit,
            } => write!(
                f,
                "inventory entry {} has {depth} path components, more than the limit of {limit}",
                index + 1
            ),
        }
    }
}

impl std::error::Error for MapError {}

/// The decisions of a subtree's entries.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Summary<D> {
    /// No entry: only the root of an empty inventory, since every other
    /// node lies on the way to an entry.
    Empty,
    /// Every entry has this decision.
    Uniform(D),
    Mixed,
}

impl<D: Eq + Clone> Summary<D> {
    fn add(self, decision: &D) -> Summary<D> {
        match self {
            Summary::Empty => Summary::Uniform(decision.clone()),
            Summary::Uniform(d) if d == *decision => Summary::Uniform(d),
            _ => Summary::Mixed,
        }
    }

    fn merge(self, other: &Summary<D>) -> Summary<D> {
        match other {
            Summary::Empty => self,
            Summary::Uniform(d) => self.add(d),
            Summary::Mixed => Summary::Mixed,
        }
    }
}

/// One directory or file of the tree.
#[derive(Clone, Debug)]
struct Node<D> {
    /// The last path component; directories end in `/`, the root is `/`.
    name: String,
    /// The decision when this path is an inventory entry.
    decision: Option<D>,
    children: BTreeMap<String, Node<D>>,
    /// Inventory entries in this subtree, this node included.
    entries: usize,
    summary: Summary<D>,
}

impl<D: Eq + Clone> Node<D> {
    fn new(name: String) -> Node<D> {
        Node {
            name,
            decision: None,
            children: BTreeMap::new(),
            entries: 0,
            summary: Summary::Empty,
        }
    }

    /// Fills `entries` and `summary` bottom up.
    fn summarise(&mut self) {
        let mut entries = usize::from(self.decision.is_some());
        let mut summary = Summary::Empty;
        if let Some(decision) = &self.decision {
            summary = summary.add(decision);
        }
        for child in self.children.values_mut() {
            child.summarise();
            entries += child.entries;
            summary = summary.merge(&child.summary);
        }
        self.entries = entries;
        self.summary = summary;
    }
}

/// An inventory arranged as a directory tree, each entry with its decision.
#[derive(Clone, Debug)]
pub struct MapTree<D> {
    root: Node<D>,
}

/// One line of the rendered tree, before drawing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapLine<D> {
    /// 0 for the top line, then one more per level.
    pub depth: usize,
    /// For each level above this line's (from 1 to `depth - 1`), whether a
    /// sibling follows there, so that a `│` continues down.
    pub guides: Vec<bool>,
    /// Whether this is the last child of its parent.
    pub last: bool,
    /// The path components shown: the full path on the top line, one or
    /// more joined components below it.
    pub label: String,
    /// The full path of the directory or file the line shows.
    pub path: String,
    /// The inventory entries this line stands for: the whole subtree when
    /// folded, else 1 for an entry and 0 for a directory only on the way.
    pub entries: usize,
    /// True when the line stands for a directory and everything below it.
    pub folded: bool,
    /// The decision of every entry the line stands for; `None` when it
    /// stands for none.
    pub decision: Option<D>,
}

impl<D: Eq + Clone> MapTree<D> {
    /// Builds the tree of `paths`, deciding each one with `decide`. Runs of
    /// `/` are collapsed before a path is placed and decided (the kernel
    /// never presents `//`); a path given twice is decided once.
    pub fn build<'a>(
        paths: impl IntoIterator<Item = &'a str>,
        decide: impl Fn(&str) -> D,
    ) -> Result<MapTree<D>, MapError> {
        let mut root = Node::new("/".to_string());
        for (index, path) in paths.into_iter().enumerate() {
            let names = components(index, path)?;
            let node = node_for(&mut root, &names);
            if node.decision.is_none() {
                node.decision = Some(decide(&format!("/{}", names.concat())));
            }
        }
        root.summarise();
        Ok(MapTree { root })
    }

    /// The number of distinct inventory entries.
    pub fn total(&self) -> usize {
        self.root.entries
    }

    /// The lines of the tree, top down, with uniform subtrees folded.
    pub fn lines(&self) -> Vec<MapLine<D>> {
        let mut lines = Vec::new();
        let (label, node) = joined(&self.root, String::new());
        let place = Place {
            depth: 0,
            last: true,
            path: label.clone(),
        };
        push_lines(node, label, place, &mut Vec::new(), &mut lines);
        lines
    }
}

/// The node at the end of `names`, created with its ancestors when missing.
fn node_for<'t, D: Eq + Clone>(root: &'t mut Node<D>, names: &[String]) -> &'t mut Node<D> {
    let mut node = root;
    for name in names {
        node = node
            .children
            .entry(name.clone())
            .or_insert_with(|| Node::new(name.clone()));
    }
    node
}

/// Splits an absolute path into component names, directories keeping their
/// `/`; empty components (`//`) are skipped.
fn components(index: usize, path: &str) -> Result<Vec<String>, MapError> {
    let Some(relative) = path.strip_prefix('/') else {
        let path = path.to_string();
        return Err(MapError::NotAbsolute { index, path });
    };
    let names: Vec<String> = relative
        .split_inclusive('/')
        .filter(|name| *name != "/")
        .map(String::from)
        .collect();
    if names.len() > MAX_DEPTH {
        let (depth, limit) = (names.len(), MAX_DEPTH);
        return Err(MapError::TooDeep {
            index,
            depth,
            limit,
        });
    }
    Ok(names)
}

/// Follows directories that are no entry and have one child, joining
/// their names to `label`.
fn joined<D>(mut node: &Node<D>, mut label: String) -> (String, &Node<D>) {
    label.push_str(&node.name);
    while node.decision.is_none() && node.children.len() == 1 {
        node = node.children.values().next().expect("one child");
        label.push_str(&node.name);
    }
    (label, node)
}

/// Where a line sits in the drawing.
struct Place {
    depth: usize,
    last: bool,
    path: String,
}

fn push_lines<D: Eq + Clone>(
    node: &Node<D>,
    label: String,
    place: Place,
    guides: &mut Vec<bool>,
    lines: &mut Vec<MapLine<D>>,
) {
    let folded = !node.children.is_empty() && matches!(node.summary, Summary::Uniform(_));
    let (entries, decision) = match (&node.summary, folded) {
        (Summary::Uniform(decision), true) => (node.entries, Some(decision.clone())),
        _ => (usize::from(node.decision.is_some()), node.decision.clone()),
    };
    lines.push(MapLine {
        depth: place.depth,
        guides: guides.clone(),
        last: place.last,
        label,
        path: place.path.clone(),
        entries,
        folded,
        decision,
    });
    if folded {
        return;
    }

    if place.depth > 0 {
        guides.push(!place.last);
    }
    let count = node.children.len();
    for (i, child) in node.children.values().enumerate() {
        let (label, child) = joined(child, String::new());
        let child_place = Place {
            depth: place.depth + 1,
            last: i + 1 == count,
            path: format!("{}{label}", place.path),
        };
        push_lines(child, label, child_place, guides, lines);
    }
    if place.depth > 0 {
        guides.pop();
    }
}

/// How [`render_text`] draws the tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderStyle {
    /// Colour decisions with ANSI escapes and dim the counts.
    pub colour: bool,
}

/// Draws the tree as text, one line per [`MapLine`], each ending in `\n`:
/// `├── net/ … (1,021 entries) deny`.
pub fn render_text<D: MapDecision>(tree: &MapTree<D>, style: RenderStyle) -> String {
    let mut text = String::new();
    for line in tree.lines() {
        text.push_str(&render_line(&line, style));
        text.push('\n');
    }
    text
}

fn render_line<D: MapDecision>(line: &MapLine<D>, style: RenderStyle) -> String {
    let mut text = String::new();
    for guide in &line.guides {
        text.push_str(if *guide { "│   " } else { "    " });
    }
    if line.depth > 0 {
        text.push_str(if line.last {
            "└── "
        } else {
            "├── "
        });
    }
    text.push_str(&line.label);
    if line.folded {
        let count = format!(" … ({})", entries_text(line.entries));
        text.push_str(&paint(&count, Style::new().dimmed(), style));
    }
    if let Some(decision) = &line.decision {
        text.push(' ');
        text.push_str(&paint(&decision.label(), decision.style(), style));
    }
    text
}

fn paint(text: &str, paint_style: Style, style: RenderStyle) -> String {
    if style.colour {
        format!("{paint_style}{text}{paint_style:#}")
    } else {
        text.to_string()
    }
}

/// `1 entry`, `1,021 entries`.
fn entries_text(entries: usize) -> String {
    let digits = entries.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let noun = if entries == 1 { "entry" } else { "entries" };
    format!("{grouped} {noun}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Allow below `/t/a/` except `/t/a/secret`, deny below `/t/d/`, no rule
    /// elsewhere.
    fn by_prefix(path: &str) -> MapAccess {
        if path == "/t/a/secret" {
            MapAccess::Deny
        } else if path.starts_with("/t/a/") {
            MapAccess::Allow
        } else if path.starts_with("/t/d/") {
            MapAccess::Deny
        } else {
            MapAccess::NoRule
        }
    }

    const SMALL: &[&str] = &[
        "/t/",
        "/t/a/",
        "/t/a/one",
        "/t/a/secret",
        "/t/a/sub/",
        "/t/a/sub/x",
        "/t/a/sub/y",
        "/t/d/",
        "/t/d/1",
        "/t/d/2/",
        "/t/d/2/z",
        "/t/n",
        "/t/deep/only/child/leaf",
    ];

    fn render(paths: &[&str], decide: impl Fn(&str) -> MapAccess) -> String {
        let tree = MapTree::build(paths.iter().copied(), decide).unwrap();
        render_text(&tree, RenderStyle::default())
    }

    #[test]
    fn folding_keeps_children_only_where_decisions_differ() {
        // Each case: inventory, then the lines as `depth label entries
        // folded decision`.
        let line = |l: &MapLine<MapAccess>| {
            let decision = l.decision.map_or("-".into(), |d| d.label());
            let folded = if l.folded { "folded" } else { "" };
            format!("{} {} {} {folded} {decision}", l.depth, l.label, l.entries)
        };
        let cases: &[(&[&str], &[&str])] = &[
            (&["/t/a/x", "/t/a/y"], &["0 /t/a/ 2 folded allow"]),
            (
                &["/t/a/", "/t/a/x", "/t/n"],
                &["0 /t/ 0  -", "1 a/ 2 folded allow", "1 n 1  none"],
            ),
            (&["/t/d/2/z"], &["0 /t/d/2/z 1  deny"]),
            (
                &["/t/a/secret", "/t/a/x"],
                &["0 /t/a/ 0  -", "1 secret 1  deny", "1 x 1  allow"],
            ),
            (&[], &["0 / 0  -"]),
            // A path given twice is one entry.
            (&["/t/a/x", "/t/a/x"], &["0 /t/a/x 1  allow"]),
            // An empty component is skipped.
            (&["/t//a/x", "/t/a/y"], &["0 /t/a/ 2 folded allow"]),
        ];
        for (paths, expected) in cases {
            let tree = MapTree::build(paths.iter().copied(), by_prefix).unwrap();
            let got: Vec<String> = tree.lines().iter().map(line).collect();
            assert_eq!(got, *expected, "{paths:?}");
        }
    }

    #[test]
    fn bad_paths_are_refused_with_their_numbers() {
        let relative = MapTree::build(["/a", "a/b"], by_prefix).unwrap_err();
        assert_eq!(
            relative.to_string(),
            "inventory entry 2 is not an absolute path: `a/b`"
        );
        let deep = "/x".repeat(MAX_DEPTH + 1);
        let too_deep = MapTree::build([deep.as_str()], by_prefix).unwrap_err();
        assert_eq!(
            too_deep,
            MapError::TooDeep {
                index: 0,
                depth: 257,
                limit: 256
            }
        );
        assert!(MapTree::build(["/x".repeat(MAX_DEPTH).as_str()], by_prefix).is_ok());
    }

    #[test]
    fn entry_counts_are_grouped_by_thousands() {
        let cases = [
            (1, "1 entry"),
            (2, "2 entries"),
            (999, "999 entries"),
            (1000, "1,000 entries"),
            (1021, "1,021 entries"),
            (1234567, "1,234,567 entries"),
        ];
        for (entries, expected) in cases {
            assert_eq!(entries_text(entries), expected);
        }
    }

    #[test]
    fn small_inventory_renders_as_a_tree() {
        insta::assert_snapshot!(render(SMALL, by_prefix));
    }

    #[test]
    fn pairs_of_decisions_render_both() {
        let pair = |path: &str| {
            let new = if path.starts_with("/t/d/2/") {
                MapAccess::Allow
            } else {
                by_prefix(path)
            };
            (by_prefix(path), new)
        };
        let tree = MapTree::build(SMALL.iter().copied(), pair).unwrap();
        insta::assert_snapshot!(render_text(&tree, RenderStyle::default()));
    }

    #[test]
    fn colour_wraps_only_the_decision_and_the_count() {
        let tree = MapTree::build(["/t/a/x", "/t/a/y", "/t/n"], by_prefix).unwrap();
        let text = render_text(&tree, RenderStyle { colour: true });
        let plain = render_text(&tree, RenderStyle { colour: false });
        assert_eq!(
            text,
            "/t/\n├── a/\u{1b}[2m … (2 entries)\u{1b}[0m \u{1b}[32mallow\u{1b}[0m\n\
             └── n \u{1b}[90mnone\u{1b}[0m\n"
        );
        assert!(!plain.contains('\u{1b}'));
    }

    fn inventory(name: &str) -> String {
        let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", "inventory", name]
            .iter()
            .collect();
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// A decision by prefix, loosely after docker-default's write rules
    /// (not its exact ones): kernel/shm* allowed, the rest of kernel/ and
    /// /proc/sys/ itself no rule, everything else denied.
    fn proc_sys_write(path: &str) -> MapAccess {
        match path.strip_prefix("/proc/sys/") {
            Some(rest) if rest.starts_with("kernel/shm") => MapAccess::Allow,
            Some(rest) if rest.starts_with("kernel/") => MapAccess::NoRule,
            Some("") => MapAccess::NoRule,
            _ => MapAccess::Deny,
        }
    }

    /// Checks the invariants of the module documentation on one
    /// inventory: every entry counted once, folded lines uniform.
    fn check_folding(paths: &[&str], decide: fn(&str) -> MapAccess) -> MapTree<MapAccess> {
        let tree = MapTree::build(paths.iter().copied(), decide).unwrap();
        let lines = tree.lines();
        assert_eq!(tree.total(), paths.len());
        assert_eq!(lines.iter().map(|l| l.entries).sum::<usize>(), paths.len());
        for line in lines.iter().filter(|l| l.folded) {
            let under: Vec<&&str> = paths.iter().filter(|p| p.starts_with(&line.path)).collect();
            assert_eq!(under.len(), line.entries, "{}", line.path);
            assert!(under.iter().all(|p| Some(decide(p)) == line.decision));
        }
        tree
    }

    #[test]
    fn proc_sys_inventory_folds_and_counts_every_entry() {
        let text = inventory("proc-sys.txt");
        let paths: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(paths.len(), 1392);
        let tree = check_folding(&paths, proc_sys_write);
        insta::assert_snapshot!(render_text(&tree, RenderStyle::default()));
    }

    #[test]
    fn every_inventory_folds_with_counts_that_add_up() {
        let decide = |path: &str| {
            if path.contains("/kernel/") {
                MapAccess::Deny
            } else if path.contains("/fs/") {
                MapAccess::Allow
            } else {
                MapAccess::NoRule
            }
        };
        for name in ["proc.txt", "proc-sys.txt", "sys.txt"] {
            let text = inventory(name);
            let paths: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
            let tree = check_folding(&paths, decide);
            assert!(tree.lines().iter().any(|l| l.folded), "{name}");
        }
    }
}
