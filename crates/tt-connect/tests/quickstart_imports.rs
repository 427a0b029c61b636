//! The quick start needs nothing but tt-connect: its `use` lines name only `tt_connect`, `std`
//! and `tokio`, and its code names no other crate of this workspace.

const QUICKSTART: &str = include_str!("../examples/quickstart.rs");

#[test]
fn the_quickstart_imports_nothing_but_tt_connect_std_and_tokio() {
    for line in QUICKSTART.lines().map(str::trim) {
        if let Some(path) = line.strip_prefix("use ") {
            let root = path.split("::").next().unwrap_or(path);
            assert!(
                ["tt_connect", "std", "tokio"].contains(&root),
                "the quick start imports `{root}`: {line}"
            );
        }
    }
}

#[test]
fn the_quickstart_names_no_other_crate_of_the_workspace() {
    for other in [
        "tt_core::",
        "tt_zerodha::",
        "tt_upstox::",
        "tt_sim::",
        "tt_transport::",
        "tt_instruments::",
        "bytes::",
        "http::",
        "time::",
    ] {
        assert!(
            !QUICKSTART.contains(other),
            "the quick start names `{other}`"
        );
    }
}
