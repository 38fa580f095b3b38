fn main() {
    let path = std::env::args().nth(1).expect("path");
    let resolved = aaprove::resolve::load(
        aaprove::resolve::Input::Path(path.into()),
        &aaprove::resolve::ResolveOptions::default(),
    );
    for d in &resolved.diagnostics {
        println!("{:?} {} {}", d.severity, d.code, d.message);
    }
    for p in &resolved.profiles {
        println!(
            "profile {} attach={:?} flags={:?}",
            p.name, p.attachment, p.flags
        );
        for r in &p.file_rules {
            println!(
                "  file {} {} {:?} {:?}",
                r.pattern,
                r.perms.letters(),
                r.exec,
                r.link
            );
        }
        for r in &p.other_rules {
            println!("  {} {}", r.kind, r.body);
        }
    }
}
