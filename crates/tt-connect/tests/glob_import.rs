//! `use tt_connect::*` must leave the prelude alone: this file only compiles if no name the
//! crate exports shadows `Option` or the other prelude items it uses.
#![allow(clippy::unwrap_used, clippy::panic)]

use tt_connect::*;

#[test]
fn a_glob_import_does_not_shadow_the_prelude() {
    let maybe: Option<u32> = Some(3);
    assert_eq!(maybe.map(|n| n + 1), Some(4));
    let none: Option<&str> = None;
    assert!(none.is_none());
    // The option contract has its own name, and its text form is unchanged.
    let call: Instrument = "NFO:NIFTY:2026-12-29:24000:CE".parse().unwrap();
    let Instrument::Option(contract) = &call else {
        panic!("not an option: {call}");
    };
    let _: &OptionContract = contract;
    assert_eq!(call.to_string(), "NFO:NIFTY:2026-12-29:24000:CE");
}
