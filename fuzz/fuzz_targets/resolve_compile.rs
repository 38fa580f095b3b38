//! The whole front end: resolve any text (no system directory, so no file
//! outside the input is read) and compile every profile it yields.

#![no_main]

use aaprove::resolve::{Input, ResolveOptions, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let options = ResolveOptions {
        include_dirs: Vec::new(),
        use_system_dir: false,
        base_dir: None,
    };
    let input = Input::Text {
        name: "fuzz".into(),
        text,
    };
    let resolved = load(input, &options);
    aaprove_fuzz::check_diagnostics(&resolved.sources, &resolved.diagnostics);
    let limits = aaprove_fuzz::fuzz_limits();
    for profile in &resolved.profiles {
        aaprove_fuzz::compile_all(profile, &limits);
    }
});
