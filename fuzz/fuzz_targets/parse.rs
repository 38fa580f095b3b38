//! The parser alone: any text gives a tree and diagnostics, never a panic.

#![no_main]

use aaprove::parse::parse_file_here;
use aaprove::source::{FileId, SourceFile, SourceMap};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new("fuzz".into(), None, text.to_string()));
    assert_eq!(file, FileId(0));
    let (_, diagnostics) = parse_file_here(file, text);
    aaprove_fuzz::check_diagnostics(&sources, &diagnostics);
});
