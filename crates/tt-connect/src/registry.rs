//! Finding a broker by name among those linked into the program.
//!
//! Brokers register themselves (tt-core's `register_broker!`): this module only looks names up
//! and explains a miss. The one thing it knows about particular brokers is, as data, which
//! names tt-connect ships behind which cargo feature, so a name whose feature is off can say
//! which feature to enable.

use tt_core::{BrokerRegistration, BrokerSettings, RegisteredBroker, Result};

// Naming each feature-enabled broker crate here is what keeps its registration linked into
// programs that only use it by name: the linker drops a crate nothing refers to.
#[cfg(feature = "upstox")]
use tt_upstox as _;
#[cfg(feature = "zerodha")]
use tt_zerodha as _;

/// A broker tt-connect ships behind a cargo feature.
#[derive(Debug, Clone, Copy)]
struct BuiltIn {
    /// The name it registers under.
    name: &'static str,
    /// The cargo feature of tt-connect that compiles it in.
    feature: &'static str,
    /// Whether that feature is on in this build.
    compiled: bool,
    /// Why, compiled in, it still cannot be built by name in this version.
    not_yet: Option<&'static str>,
}

/// The brokers tt-connect ships, and their cargo features.
const BUILT_IN: [BuiltIn; 2] = [
    BuiltIn {
        name: "zerodha",
        feature: "zerodha",
        compiled: cfg!(feature = "zerodha"),
        not_yet: None,
    },
    BuiltIn {
        name: "upstox",
        feature: "upstox",
        compiled: cfg!(feature = "upstox"),
        not_yet: None,
    },
];

/// Why a name did not give a broker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RegistryError {
    /// No linked broker has the name.
    #[error("unknown broker `{name}`; {}", Registered(.registered))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The names linked into this program.
        registered: Vec<&'static str>,
    },
    /// A broker tt-connect ships, with its cargo feature off.
    #[error(
        "broker `{name}` is not compiled into this build; enable the cargo feature `{feature}` \
         of tt-connect"
    )]
    FeatureOff {
        /// The broker.
        name: &'static str,
        /// The feature that compiles it in.
        feature: &'static str,
    },
    /// A broker tt-connect ships that cannot be built by name in this version.
    #[error("broker `{name}` is not yet available in this version of tt-connect: {why}")]
    NotYetAvailable {
        /// The broker.
        name: &'static str,
        /// What is missing.
        why: &'static str,
    },
    /// A broker that reports another name than the one it registered under.
    #[error(
        "the broker registered as `{registered}` calls itself `{reports}`; register it under its own name"
    )]
    Misnamed {
        /// The name it is registered under.
        registered: &'static str,
        /// The name its capabilities carry.
        reports: &'static str,
    },
    /// Two linked crates registered the same name: nothing is ever resolved by first match.
    #[error(
        "broker `{name}` is registered {count} times (two linked crates claim the name); link \
         only one of them"
    )]
    Ambiguous {
        /// The name.
        name: &'static str,
        /// How many registrations carry it.
        count: usize,
    },
}

/// The "registered brokers: ..." part of [`RegistryError::Unknown`].
struct Registered<'a>(&'a [&'static str]);

impl std::fmt::Display for Registered<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str(
                "no broker is registered in this build: enable a broker feature of tt-connect, \
                 or link a broker crate (`use my_broker as _;`)",
            )
        } else {
            write!(f, "registered brokers: {}", self.0.join(", "))
        }
    }
}

impl From<RegistryError> for tt_core::Error {
    fn from(error: RegistryError) -> Self {
        tt_core::Error::Config(error.to_string())
    }
}

/// The names of the brokers linked into this program, sorted, each once: those tt-connect's
/// cargo features enable and any broker crate the program links.
///
/// ```
/// # #[cfg(feature = "zerodha")]
/// assert!(tt_connect::registered_brokers().contains(&"zerodha"));
/// ```
pub fn registered_brokers() -> Vec<&'static str> {
    names(BrokerRegistration::linked())
}

fn names<'a>(registrations: impl Iterator<Item = &'a BrokerRegistration>) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = registrations.map(BrokerRegistration::name).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Builds the broker registered as `name` (case-insensitive, surrounding spaces ignored).
///
/// # Errors
/// [`tt_core::Error::Config`] for a name no linked broker has (listing those that are, or
/// naming the cargo feature of a compiled-out built-in), or whatever the broker's factory
/// reports about `settings`.
pub(crate) fn build(name: &str, settings: BrokerSettings) -> Result<Box<dyn RegisteredBroker>> {
    let registration = find(name, BrokerRegistration::linked, &BUILT_IN)?;
    build_checked(registration, settings)
}

/// Builds from `registration`, refusing a broker that reports another name than the one it is
/// registered under (errors and capability checks would name it wrongly).
fn build_checked(
    registration: &BrokerRegistration,
    settings: BrokerSettings,
) -> Result<Box<dyn RegisteredBroker>> {
    let broker = registration.build(settings)?;
    if broker.name() != registration.name() {
        return Err(RegistryError::Misnamed {
            registered: registration.name(),
            reports: broker.name(),
        }
        .into());
    }
    Ok(broker)
}

/// The one registration for `name` among `linked`, or why there is none.
fn find<'a, I>(
    name: &str,
    linked: impl Fn() -> I,
    built_in: &[BuiltIn],
) -> std::result::Result<&'a BrokerRegistration, RegistryError>
where
    I: Iterator<Item = &'a BrokerRegistration>,
{
    let wanted = name.trim();
    let mut matching = linked().filter(|r| r.name().eq_ignore_ascii_case(wanted));
    if let Some(found) = matching.next() {
        let others = matching.count();
        if others > 0 {
            return Err(RegistryError::Ambiguous {
                name: found.name(),
                count: others + 1,
            });
        }
        return Ok(found);
    }
    match built_in
        .iter()
        .find(|b| b.name.eq_ignore_ascii_case(wanted))
    {
        Some(b) if !b.compiled => Err(RegistryError::FeatureOff {
            name: b.name,
            feature: b.feature,
        }),
        Some(BuiltIn {
            name,
            not_yet: Some(why),
            ..
        }) => Err(RegistryError::NotYetAvailable { name, why }),
        _ => Err(RegistryError::Unknown {
            name: wanted.to_owned(),
            registered: names(linked()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unbuildable(_: BrokerSettings) -> Result<Box<dyn RegisteredBroker>> {
        Err(tt_core::Error::Config("test registration".to_owned()))
    }

    static ALPHA: BrokerRegistration = BrokerRegistration::new("alpha", unbuildable);
    static BETA: BrokerRegistration = BrokerRegistration::new("beta", unbuildable);
    static BETA_AGAIN: BrokerRegistration = BrokerRegistration::new("beta", unbuildable);

    /// The built-in table as a build with every broker feature `compiled` (or none) has it.
    fn built_in_all(compiled: bool) -> [BuiltIn; 2] {
        BUILT_IN.map(|b| BuiltIn { compiled, ..b })
    }

    fn lookup(
        name: &str,
        linked: &[&'static BrokerRegistration],
        built_in: &[BuiltIn],
    ) -> std::result::Result<&'static str, RegistryError> {
        find(name, || linked.iter().copied(), built_in).map(BrokerRegistration::name)
    }

    fn rawbook(_: BrokerSettings) -> Result<Box<dyn RegisteredBroker>> {
        Ok(Box::new(crate::any_broker::fake::RawBookOnly))
    }

    #[test]
    fn a_broker_reporting_another_name_than_its_registration_is_refused() {
        let misnamed = BrokerRegistration::new("paper", rawbook);
        let err = build_checked(&misnamed, BrokerSettings::new("k", "s")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: the broker registered as `paper` calls itself `rawbook`; \
             register it under its own name"
        );
        let named = BrokerRegistration::new("rawbook", rawbook);
        assert!(build_checked(&named, BrokerSettings::new("k", "s")).is_ok());
    }

    #[test]
    fn a_registered_name_is_found_whatever_its_case() {
        assert_eq!(lookup(" Alpha ", &[&ALPHA, &BETA], &BUILT_IN), Ok("alpha"));
    }

    #[test]
    fn an_unknown_name_lists_the_registered_brokers() {
        let err = lookup("angel", &[&BETA, &ALPHA], &BUILT_IN).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown broker `angel`; registered brokers: alpha, beta"
        );
    }

    #[test]
    fn an_unknown_name_with_nothing_registered_says_how_to_register() {
        let err = lookup("angel", &[], &BUILT_IN).unwrap_err();
        assert!(err.to_string().contains("use my_broker as _;"), "{err}");
    }

    #[test]
    fn a_name_registered_twice_is_refused_not_resolved_by_first_match() {
        let err = lookup("beta", &[&ALPHA, &BETA, &BETA_AGAIN], &BUILT_IN).unwrap_err();
        assert_eq!(
            err,
            RegistryError::Ambiguous {
                name: "beta",
                count: 2
            }
        );
    }

    #[test]
    fn compiled_out_zerodha_names_its_cargo_feature() {
        let err = lookup("zerodha", &[&ALPHA], &built_in_all(false)).unwrap_err();
        assert!(
            err.to_string()
                .contains("enable the cargo feature `zerodha` of tt-connect"),
            "{err}"
        );
    }

    #[test]
    fn compiled_out_upstox_names_its_cargo_feature() {
        let err = lookup("upstox", &[&ALPHA], &built_in_all(false)).unwrap_err();
        assert!(
            err.to_string()
                .contains("enable the cargo feature `upstox` of tt-connect"),
            "{err}"
        );
    }

    #[test]
    fn a_compiled_in_broker_marked_not_yet_available_says_why() {
        let pending = [BuiltIn {
            name: "gamma",
            feature: "gamma",
            compiled: true,
            not_yet: Some("its adapter is not written yet"),
        }];
        let err = lookup("gamma", &[&ALPHA], &pending).unwrap_err();
        assert_eq!(
            err.to_string(),
            "broker `gamma` is not yet available in this version of tt-connect: its adapter is \
             not written yet"
        );
    }

    #[test]
    fn every_shipped_broker_is_available_when_compiled_in() {
        assert!(BUILT_IN.iter().all(|b| b.not_yet.is_none()));
    }

    #[test]
    fn the_registered_list_is_sorted_and_names_each_broker_once() {
        assert_eq!(
            names([&BETA, &ALPHA, &BETA_AGAIN].into_iter()),
            ["alpha", "beta"]
        );
    }

    #[cfg(feature = "zerodha")]
    #[test]
    fn the_zerodha_feature_links_its_registration() {
        assert!(registered_brokers().contains(&"zerodha"));
    }

    #[cfg(feature = "upstox")]
    #[test]
    fn the_upstox_feature_links_its_registration() {
        assert!(registered_brokers().contains(&"upstox"));
        let broker = build("upstox", BrokerSettings::new("k", "s")).unwrap();
        assert_eq!(broker.name(), "upstox");
    }
}
