//! The brokers the simulator speaks for, and which of them a request path belongs to.

use std::fmt;

/// A broker the simulator speaks for. Each has its own wire format, app login, sessions, rate
/// limits, account and order book; the market (prices) is shared, as the exchange's is.
///
/// ```
/// use tt_sim::SimBroker;
///
/// assert_eq!(SimBroker::of_path("/v2/order/retrieve-all"), SimBroker::Upstox);
/// assert_eq!(SimBroker::of_path("/orders/regular"), SimBroker::Kite);
/// assert_eq!(SimBroker::Upstox.to_string(), "upstox");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SimBroker {
    /// Zerodha's Kite Connect v3.
    Kite,
    /// Upstox API v2/v3 (its order host and its public instrument files included).
    Upstox,
}

impl SimBroker {
    /// Every broker, in a fixed order.
    pub const ALL: [SimBroker; 2] = [SimBroker::Kite, SimBroker::Upstox];

    /// The broker a request path is for: Upstox's `/v2/...`, `/v3/...` and
    /// `/market-quote/instruments/...` (its public instrument files), Kite for everything else.
    /// (`/__sim/` admin calls belong to neither and are dispatched before this.)
    pub fn of_path(path: &str) -> SimBroker {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under("/v2") || under("/v3") || under("/market-quote/instruments") {
            SimBroker::Upstox
        } else {
            SimBroker::Kite
        }
    }

    /// The lower-case name (`kite`, `upstox`).
    pub const fn name(self) -> &'static str {
        match self {
            SimBroker::Kite => "kite",
            SimBroker::Upstox => "upstox",
        }
    }

    /// A slot per broker, for per-broker arrays.
    pub(crate) const fn index(self) -> usize {
        match self {
            SimBroker::Kite => 0,
            SimBroker::Upstox => 1,
        }
    }
}

impl fmt::Display for SimBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
