//! `aaprove rules` and `aaprove rule CODE|NAME`.

mod cli_support;

use cli_support::aaprove;

#[test]
fn rules_list() {
    let run = aaprove(&["rules"], "");
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn rules_list_as_json() {
    let run = aaprove(&["rules", "--format", "json"], "");
    assert_eq!(run.code, 0);
    let codes: Vec<String> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON line"))
        .map(|value| value["code"].as_str().expect("code").to_string())
        .collect();
    let text = aaprove(&["rules"], "").stdout;
    let text_codes: Vec<&str> = text.lines().map(|line| &line[..4]).collect();
    assert_eq!(codes, text_codes);
}

#[test]
fn rule_documentation() {
    let run = aaprove(&["rule", "L001"], "");
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn rule_by_name_or_code_is_the_same() {
    for (code, name) in [("L001", "unconfined-exec"), ("L002", "dangerous-write")] {
        let by_code = aaprove(&["rule", code], "");
        let by_name = aaprove(&["rule", name], "");
        assert_eq!(by_code.stdout, by_name.stdout);
        assert!(by_code.stdout.starts_with(&format!("# {name} ({code})\n")));
    }
}

#[test]
fn rule_as_json_has_the_doc() {
    let run = aaprove(&["rule", "--format", "json", "L900"], "");
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(value["name"], "unused-suppression");
    assert!(
        value["doc"]
            .as_str()
            .expect("doc")
            .contains("## Why it matters")
    );
}

#[test]
fn usage_errors() {
    let cases: [&[&str]; 4] = [
        &["rule", "L999"],
        &["rule"],
        &["rules", "--format", "sarif"],
        &["rule", "--format", "sarif", "L001"],
    ];
    for args in cases {
        let run = aaprove(args, "");
        assert_eq!(run.code, 2, "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains("error"), "{args:?}: {}", run.stderr);
    }
}
