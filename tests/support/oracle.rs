//! The reference answer: what `apparmor_parser` compiles a profile into.
//!
//! [`CompiledPolicy::compile`] runs `apparmor_parser -QK -S` on a profile's
//! text, reads the binary policy it writes (exactly what the kernel would
//! load), finds the first profile's file DFA and exec table, and walks the
//! DFA for a path as the kernel does. The answer has the same shape as
//! aaprove's, [`PathPermissions`], so tests compare them with `==`.
//!
//! Facts this relies on (see /work/shared/ORACLE-NOTES.md): the tables are
//! flex-style and big-endian; matching starts in state 1 and does not
//! consume the terminating NUL; the first accept word holds allowed
//! permissions, the second audit and quiet bits. Explicit deny is not in
//! the tables: a plain deny rule shows only as quiet bits, an `audit deny`
//! rule not at all. So when a profile has `audit deny` rules, a second copy
//! without their `audit` is compiled and its quiet bits give the denials.
//!
//! Compile once per profile and query many paths: one parser run costs
//! about 30 ms.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use aaprove::compile::perms::MergedWords;
use aaprove::compile::{Dfa, PathPermissions, StateId};

/// Where the reference compiler lives; `AAPROVE_APPARMOR_PARSER` overrides.
pub fn parser_path() -> PathBuf {
    std::env::var_os("AAPROVE_APPARMOR_PARSER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/apparmor_parser"))
}

/// True when the oracle can run. When it cannot, prints a notice naming
/// `test`, and panics if `AAPROVE_REQUIRE_ORACLE=1` demands the oracle.
pub fn available(test: &str) -> bool {
    if parser_path().exists() {
        return true;
    }
    let required = std::env::var("AAPROVE_REQUIRE_ORACLE").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: apparmor_parser not found at {} and AAPROVE_REQUIRE_ORACLE=1",
        parser_path().display()
    );
    eprintln!(
        "{test}: skipped, apparmor_parser not found at {}",
        parser_path().display()
    );
    false
}

/// Why the reference compiler gave no answer.
#[derive(Debug)]
pub enum OracleError {
    /// The parser rejected the profile; its standard error.
    Rejected(String),
    /// The binary policy could not be read (a bug in this reader).
    Malformed(String),
    /// The parser ran longer than [`PARSER_TIMEOUT`] and was stopped.
    Timeout,
    Io(std::io::Error),
}

/// The first profile of a compiled policy: its file DFA and exec table.
#[derive(Debug)]
pub struct CompiledPolicy {
    dfa: KernelDfa,
    /// The same profile compiled without `audit` on deny rules, when it had
    /// any: its quiet bits are the full deny set.
    deny_dfa: Option<KernelDfa>,
    /// Named exec targets; index `i` is the kernel's target `i + 4`.
    pub exec_targets: Vec<String>,
}

impl CompiledPolicy {
    /// Compiles `text` with the real parser and keeps its first profile.
    pub fn compile(text: &str) -> Result<CompiledPolicy, OracleError> {
        CompiledPolicy::compile_profile(text, None)
    }

    /// Compiles `text` and keeps the top-level profile called `name` (the
    /// first one when `None`).
    pub fn compile_profile(text: &str, name: Option<&str>) -> Result<CompiledPolicy, OracleError> {
        let (dfa, exec_targets) = compile_binary(text, name)?;
        let deny_dfa = if text.contains("audit deny") {
            Some(compile_binary(&text.replace("audit deny", "deny"), name)?.0)
        } else {
            None
        };
        Ok(CompiledPolicy {
            dfa,
            deny_dfa,
            exec_targets,
        })
    }

    /// The permissions the kernel would find for `path`.
    pub fn lookup(&self, path: &[u8]) -> PathPermissions {
        let walk = |dfa: &KernelDfa| path.iter().fold(1, |state, &byte| dfa.step(state, byte));
        let deny_state = self.deny_dfa.as_ref().map_or(0, walk);
        self.permissions_at(walk(&self.dfa), deny_state)
    }

    pub fn state_count(&self) -> usize {
        self.dfa.accept.len()
    }
}

/// Audit bits of the second accept word, in permission-word layout.
fn unpack_audit(accept2: u32) -> u32 {
    accept2 & 0x1fc07f
}

/// Quiet bits of the second accept word, in permission-word layout.
fn unpack_quiet(accept2: u32) -> u32 {
    (accept2 >> 7) & 0x1fc07f
}

fn compile_binary(text: &str, name: Option<&str>) -> Result<(KernelDfa, Vec<String>), OracleError> {
    let profiles = run_parser(ParserInput::Text(text), parser_timeout())?;
    let profile = match name {
        Some(name) => profiles.into_iter().find(|p| p.name == name),
        None => profiles.into_iter().next(),
    };
    let profile = profile.ok_or_else(|| OracleError::Malformed(format!("no profile {name:?}")))?;
    let blob = profile.file_dfa.ok_or_else(|| {
        OracleError::Malformed(format!("no file DFA in profile {}", profile.name))
    })?;
    let dfa = KernelDfa::parse(&blob).map_err(OracleError::Malformed)?;
    Ok((dfa, profile.exec_targets))
}

/// What the parser reads: profile text on its standard input, or a file
/// (whose quoted includes are then relative to the current directory, as
/// for `apparmor_parser FILE`).
#[derive(Clone, Copy, Debug)]
pub enum ParserInput<'a> {
    Text(&'a str),
    File(&'a std::path::Path),
}

/// Runs `apparmor_parser -QK -S` and reads every profile of the binary
/// policy it writes.
fn run_parser(input: ParserInput, timeout: Duration) -> Result<Vec<PolicyParts>, OracleError> {
    let mut command = Command::new(parser_path());
    command.args(["-Q", "-K", "-S"]);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    if let ParserInput::File(path) = input {
        command.arg(path);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(OracleError::Io)?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    if let ParserInput::Text(text) = input {
        stdin.write_all(text.as_bytes()).map_err(OracleError::Io)?;
    }
    drop(stdin);
    let (stdout, stderr) = wait_bounded(child, timeout)?;
    read_policy(&stdout)
        .map_err(|error| OracleError::Malformed(format!("{error}; parser said: {stderr}")))
}

/// Every profile of one compiled policy, by the name the binary policy
/// gives it: `parent//child` for child profiles and hats.
#[derive(Debug)]
pub struct CompiledPolicies {
    pub profiles: Vec<(String, CompiledPolicy)>,
}

impl CompiledPolicies {
    /// Compiles `input` once. `deny_copy`, when given, is the text of the
    /// same policy with `audit` taken off its deny rules (see
    /// [`CompiledPolicy`]); its profiles are matched to `input`'s by name.
    /// A profile without file rules has no file DFA and allows nothing.
    /// Each parser run is stopped after `timeout`.
    pub fn compile(
        input: ParserInput,
        deny_copy: Option<&str>,
        timeout: Duration,
    ) -> Result<CompiledPolicies, OracleError> {
        let mut denials = match deny_copy {
            Some(text) => run_parser(ParserInput::Text(text), timeout)?,
            None => Vec::new(),
        };
        let mut profiles = Vec::new();
        for parts in run_parser(input, timeout)? {
            let deny_dfa = match denials.iter().position(|d| d.name == parts.name) {
                Some(at) => Some(kernel_dfa(denials.swap_remove(at).file_dfa)?),
                None if deny_copy.is_some() => {
                    let message = format!("no profile {} in the deny copy", parts.name);
                    return Err(OracleError::Malformed(message));
                }
                None => None,
            };
            let policy = CompiledPolicy {
                dfa: kernel_dfa(parts.file_dfa)?,
                deny_dfa,
                exec_targets: parts.exec_targets,
            };
            profiles.push((parts.name, policy));
        }
        Ok(CompiledPolicies { profiles })
    }

    /// The profile the binary policy calls `name`.
    pub fn get(&self, name: &str) -> Option<&CompiledPolicy> {
        self.profiles
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }
}

fn kernel_dfa(blob: Option<Vec<u8>>) -> Result<KernelDfa, OracleError> {
    match blob {
        Some(blob) => KernelDfa::parse(&blob).map_err(OracleError::Malformed),
        None => Ok(KernelDfa::default()),
    }
}

/// How long one parser run may take; some profiles make upstream's DFA
/// construction run for minutes.
pub const PARSER_TIMEOUT: Duration = Duration::from_secs(60);

/// [`PARSER_TIMEOUT`], or `AAPROVE_PARSER_TIMEOUT_MS` milliseconds.
pub fn parser_timeout() -> Duration {
    std::env::var("AAPROVE_PARSER_TIMEOUT_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(PARSER_TIMEOUT, Duration::from_millis)
}

/// Waits for the parser, killing it after `timeout`; returns its
/// standard output, or its standard error when it failed.
fn wait_bounded(
    mut child: std::process::Child,
    timeout: Duration,
) -> Result<(Vec<u8>, String), OracleError> {
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).map(|_| bytes)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).map(|_| text)
    });
    // The parser forks a worker per profile, so a timeout kills its whole
    // process group (see `run_parser`), or the workers would run on.
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait()));
    let status = match receiver.recv_timeout(timeout) {
        Ok(status) => status.map_err(OracleError::Io)?,
        Err(_) => {
            let group = format!("-{pid}");
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            return Err(OracleError::Timeout);
        }
    };
    let stdout = out
        .join()
        .expect("reader thread")
        .map_err(OracleError::Io)?;
    let stderr = err
        .join()
        .expect("reader thread")
        .map_err(OracleError::Io)?;
    if !status.success() {
        return Err(OracleError::Rejected(stderr));
    }
    Ok((stdout, stderr))
}

/// What the oracle needs from one profile of a binary policy.
#[derive(Default)]
struct PolicyParts {
    name: String,
    file_dfa: Option<Vec<u8>>,
    exec_targets: Vec<String>,
}

/// Walks the tagged stream of a binary policy and returns its top-level
/// profiles. Each value is a tag byte and a payload; a name (tag 4) labels
/// the value after it; structs nest. A profile's name is the first string
/// in its struct; its file DFA is the `aadfa` blob directly inside the
/// struct after the `flags` struct (an attachment's DFA comes before
/// `flags`, a policydb's DFA sits in a nested struct).
fn read_policy(bytes: &[u8]) -> Result<Vec<PolicyParts>, String> {
    let mut reader = Reader { bytes, pos: 0 };
    let mut profiles: Vec<PolicyParts> = Vec::new();
    let mut structs: Vec<String> = Vec::new();
    let mut name = String::new();
    let mut seen_flags = false;
    while reader.pos < bytes.len() {
        let tag = reader.take(1)?[0];
        match tag {
            0..=3 => {
                reader.take(1 << tag)?;
            }
            4 => {
                name = reader.string()?;
                continue;
            }
            5 => {
                let value = reader.string()?;
                let profile = profiles.last_mut();
                match (structs.len(), structs.last().map(String::as_str), profile) {
                    (1, _, Some(profile)) if profile.name.is_empty() => profile.name = value,
                    (_, Some("xtable"), Some(profile)) => profile.exec_targets.push(value),
                    _ => {}
                }
            }
            6 => {
                let length = reader.u32()? as usize;
                let blob = reader.take(length)?;
                let profile = profiles.last_mut().filter(|_| structs.len() == 1);
                let wanted = name == "aadfa" && seen_flags;
                if let Some(profile) = profile.filter(|p| p.file_dfa.is_none() && wanted) {
                    profile.file_dfa = Some(blob.to_vec());
                }
            }
            7 => {
                if structs.is_empty() && name == "profile" {
                    profiles.push(PolicyParts::default());
                    seen_flags = false;
                }
                seen_flags |= name == "flags" && structs.len() == 1;
                structs.push(std::mem::take(&mut name));
            }
            8 => {
                structs.pop();
            }
            9 | 10 | 12 => {}
            11 => {
                reader.take(2)?;
            }
            other => return Err(format!("unknown tag {other} at byte {}", reader.pos - 1)),
        }
        name.clear();
    }
    Ok(profiles)
}

struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, count: usize) -> Result<&'b [u8], String> {
        let end = self
            .pos
            .checked_add(count)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.pos))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes(bytes.try_into().expect("four bytes")))
    }

    /// A u16 length (NUL included) and the bytes; the NUL is dropped.
    fn string(&mut self) -> Result<String, String> {
        let length = u16::from_le_bytes(self.take(2)?.try_into().expect("two bytes")) as usize;
        let bytes = self.take(length)?;
        let text = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        Ok(String::from_utf8_lossy(text).into_owned())
    }
}

/// A DFA in the kernel's flex-style tables.
#[derive(Debug, Default)]
pub struct KernelDfa {
    accept: Vec<u32>,
    accept2: Vec<u32>,
    base: Vec<u32>,
    default: Vec<u32>,
    next: Vec<u32>,
    check: Vec<u32>,
    equivalence: Vec<u32>,
}

const TABLE_MAGIC: u32 = 0x1B5E_783D;
const DIFF_ENCODED: u32 = 0x8000_0000;
const BASE_INDEX_MASK: u32 = 0x00FF_FFFF;

impl KernelDfa {
    /// Reads the tables of an `aadfa` blob.
    pub fn parse(blob: &[u8]) -> Result<KernelDfa, String> {
        // The writer pads the blob's start so that the tables are aligned
        // to 8 bytes in the whole policy.
        let padding = blob.iter().take(8).take_while(|&&b| b == 0).count();
        let blob = &blob[padding..];
        let word = |at: usize| -> Result<u32, String> {
            let bytes = blob.get(at..at + 4).ok_or("truncated table header")?;
            Ok(u32::from_be_bytes(bytes.try_into().expect("four bytes")))
        };
        if word(0)? != TABLE_MAGIC {
            return Err("bad table magic".to_string());
        }
        let mut pos = word(4)? as usize;
        let mut dfa = KernelDfa::default();
        while pos + 12 <= blob.len() {
            let id = u16::from_be_bytes([blob[pos], blob[pos + 1]]);
            let width = u16::from_be_bytes([blob[pos + 2], blob[pos + 3]]) as usize;
            let count = word(pos + 8)? as usize;
            let data = blob
                .get(pos + 12..pos + 12 + width * count)
                .ok_or_else(|| format!("table {id} truncated"))?;
            let values = read_values(data, width)?;
            match id {
                1 => dfa.accept = values,
                2 => dfa.base = values,
                3 => dfa.check = values,
                4 => dfa.default = values,
                5 => dfa.equivalence = values,
                7 => dfa.accept2 = values,
                8 => dfa.next = values,
                _ => {}
            }
            pos += (12 + width * count).div_ceil(8) * 8;
        }
        Ok(dfa)
    }

    /// One transition as the kernel makes it: try the state's row, else
    /// its default state, whose row is tried again when the row is
    /// difference-encoded.
    fn step(&self, mut state: u32, byte: u8) -> u32 {
        let class = match self.equivalence.get(byte as usize) {
            Some(&class) => class,
            None => byte as u32,
        };
        loop {
            let base = self.base.get(state as usize).copied().unwrap_or(0);
            let pos = ((base & BASE_INDEX_MASK) + class) as usize;
            if self.check.get(pos) == Some(&state) {
                return self.next[pos];
            }
            state = self.default.get(state as usize).copied().unwrap_or(0);
            if base & DIFF_ENCODED == 0 || state == 0 {
                return state;
            }
        }
    }
}

fn read_values(data: &[u8], width: usize) -> Result<Vec<u32>, String> {
    match width {
        1 => Ok(data.iter().map(|&b| b as u32).collect()),
        2 => Ok(data
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]) as u32)
            .collect()),
        4 => Ok(data
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect()),
        other => Err(format!("unsupported table width {other}")),
    }
}

/// The accept words of every accepting state in the parser's text dump
/// (`-D dfa-states`), sorted: a cross-check of the binary reader.
pub fn text_dump_accept_words(text: &str) -> Result<Vec<(u32, u32, u32)>, OracleError> {
    let output = Command::new(parser_path())
        .args(["-Q", "-K", "-D", "dfa-states"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .map_err(OracleError::Io)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut words: Vec<(u32, u32, u32)> = stderr
        .lines()
        .skip_while(|line| !line.contains("<=="))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| {
            let inner = line.split("(0x ").nth(1)?.trim_end_matches(')');
            let fields: Vec<u32> = inner
                .split('/')
                .map(|f| u32::from_str_radix(f.trim(), 16))
                .collect::<Result<_, _>>()
                .ok()?;
            Some((fields[0], fields[2], fields[3] & fields[1]))
        })
        .collect();
    words.sort_unstable();
    words.dedup();
    Ok(words)
}

impl CompiledPolicy {
    /// The distinct (allow, audit, quiet) words of the accepting states of
    /// the binary tables, sorted, for comparison with the text dump.
    pub fn accept_words(&self) -> Vec<(u32, u32, u32)> {
        let mut words: Vec<(u32, u32, u32)> = self
            .dfa
            .accept
            .iter()
            .zip(&self.dfa.accept2)
            .skip(2)
            .map(|(&a, &a2)| (a, unpack_audit(a2), unpack_quiet(a2)))
            .filter(|&(a, audit, quiet)| a | audit | quiet != 0)
            .collect();
        words.sort_unstable();
        words.dedup();
        words
    }
}

/// Where aaprove's automaton and the parser's tables first disagree.
#[derive(Debug)]
pub struct Difference {
    /// A shortest path (no NUL byte) on which they disagree.
    pub path: Vec<u8>,
    pub ours: PathPermissions,
    pub theirs: PathPermissions,
}

impl CompiledPolicy {
    /// Decides whether `ours` gives every path the same permissions as the
    /// parser's tables, by a breadth-first walk of the product of the
    /// automata. On a difference returns a shortest path showing it.
    /// `same` compares two decisions (so the caller can map exec table
    /// indices to names); its last argument says whether the string holds
    /// a NUL. With `link_pairs`, strings with NUL (the link pairs
    /// `PATH\0TARGET`) are compared too; without, only paths.
    pub fn equivalent(
        &self,
        ours: &Dfa<PathPermissions>,
        link_pairs: bool,
        same: impl Fn(&PathPermissions, &PathPermissions, bool) -> bool,
    ) -> Result<(), Difference> {
        type Key = (StateId, u32, u32, bool);
        let start: Key = (ours.start(), 1, 1, false);
        let mut parent: HashMap<Key, (Key, u8)> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut seen = HashSet::from([start]);
        let bytes = self.joint_representatives(ours, link_pairs);
        while let Some(key) = queue.pop_front() {
            let theirs = self.permissions_at(key.1, key.2);
            if !same(ours.label(key.0), &theirs, key.3) {
                return Err(Difference {
                    path: path_to(&parent, start, key),
                    ours: *ours.label(key.0),
                    theirs,
                });
            }
            for &byte in &bytes {
                let deny_state = match &self.deny_dfa {
                    Some(dfa) => dfa.step(key.2, byte),
                    None => 0,
                };
                let next = (
                    ours.next(key.0, byte),
                    self.dfa.step(key.1, byte),
                    deny_state,
                    key.3 || byte == 0,
                );
                if seen.insert(next) {
                    parent.insert(next, (key, byte));
                    queue.push_back(next);
                }
            }
        }
        Ok(())
    }

    /// One byte per class of bytes that all three automata treat alike;
    /// NUL only when `with_nul`.
    fn joint_representatives(&self, ours: &Dfa<PathPermissions>, with_nul: bool) -> Vec<u8> {
        let class = |dfa: &KernelDfa, byte: u8| dfa.equivalence.get(byte as usize).copied();
        let mut seen = HashSet::new();
        let first = if with_nul { 0 } else { 1 };
        (first..=255u8)
            .filter(|&byte| {
                let deny = self.deny_dfa.as_ref().and_then(|dfa| class(dfa, byte));
                seen.insert((ours.classes().class(byte), class(&self.dfa, byte), deny))
            })
            .collect()
    }

    /// The decision in kernel state `state` (and `deny_state` of the copy
    /// without audited denials).
    fn permissions_at(&self, state: u32, deny_state: u32) -> PathPermissions {
        let (allow, accept2) = self.dfa.words_at(state);
        let deny_quiet = match &self.deny_dfa {
            Some(dfa) => dfa.words_at(deny_state).1,
            None => accept2,
        };
        PathPermissions::from_words(&MergedWords {
            allow,
            deny: unpack_quiet(deny_quiet),
            audit: unpack_audit(accept2),
            quiet: unpack_quiet(accept2),
        })
    }
}

fn path_to<K: Copy + Eq + std::hash::Hash>(
    parent: &HashMap<K, (K, u8)>,
    start: K,
    mut key: K,
) -> Vec<u8> {
    let mut path = Vec::new();
    while key != start {
        let (previous, byte) = parent[&key];
        path.push(byte);
        key = previous;
    }
    path.reverse();
    path
}

impl KernelDfa {
    fn words_at(&self, state: u32) -> (u32, u32) {
        let at = |table: &[u32]| table.get(state as usize).copied().unwrap_or(0);
        (at(&self.accept), at(&self.accept2))
    }
}

/// The policy file at `path` with its includes expanded
/// (`apparmor_parser -p`).
pub fn preprocess(path: &std::path::Path) -> Result<String, OracleError> {
    let mut command = Command::new(parser_path());
    command.args(["-Q", "-K", "-p"]);
    // AAPROVE_INCLUDE_DIR adds an include search directory (`-I`), as the
    // upstream test corpus needs.
    if let Some(dir) = std::env::var_os("AAPROVE_INCLUDE_DIR") {
        command.arg("-I").arg(dir);
    }
    let output = command.arg(path).output().map_err(OracleError::Io)?;
    if !output.status.success() {
        return Err(OracleError::Rejected(
            String::from_utf8_lossy(&output.stderr).into(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
