//! One pattern: the glob parser, then an automaton of one allow rule, then
//! a lookup of the input itself as a path.

#![no_main]

use aaprove::compile::{PermissionAutomaton, pattern};
use aaprove::model::{FilePerms, FileRule, Origin, Profile, Qualifiers};
use aaprove::source::{FileId, Span};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = aaprove_fuzz::fuzz_limits();
    if pattern::parse(text, &limits).is_err() {
        return;
    }
    let origin = Origin {
        span: Span::new(FileId(0), 0, 0),
        include_chain: Vec::new(),
    };
    let rule = FileRule {
        origin: origin.clone(),
        qualifiers: Qualifiers::default(),
        pattern: text.to_string(),
        perms: FilePerms::READ,
        exec: None,
        link: None,
    };
    let profile = Profile {
        name: "fuzz".into(),
        origin,
        attachment: None,
        flags: Vec::new(),
        is_hat: false,
        other_rules: Vec::new(),
        children: Vec::new(),
        file_rules: vec![rule],
        unresolved_includes: Vec::new(),
    };
    if let Ok(automaton) = PermissionAutomaton::build(&profile, &limits) {
        let _ = automaton.lookup(data);
    }
});
