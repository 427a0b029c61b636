//! Injected faults: for the next N calls of an endpoint, answer late, not at all, with an
//! error, or with a broken body.
//!
//! When each fault acts decides whether the call had an effect, which is what a client's
//! "outcome unknown" handling is tested against:
//!
//! | fault | acts | the request was processed? |
//! |---|---|---|
//! | [`Fault::Status`] | **before** processing, instead of it | no: nothing changed |
//! | [`Fault::Delay`] | **after** processing, before the response is written | yes |
//! | [`Fault::Drop`] | **after** processing: the connection is closed without a response | yes |
//! | [`Fault::Malformed`] | **after** processing: 200 with the response's JSON cut short | yes |
//! | [`Fault::ProcessedThenStatus`] | **after** processing: this status and an error envelope | yes |
//!
//! Faults sit in front of everything else: a faulted call is not rate limited when the fault
//! replaces it, and is counted (and may be refused) like any other when it is processed.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use http::{Method, StatusCode};

/// The calls a fault applies to: a method and a path (either broker's: `POST /orders/regular`,
/// `POST /v3/order/place`), where a `*` segment matches any one segment
/// (`PUT /orders/regular/*` is every modification of a regular Kite order). The query string
/// is not part of the match.
///
/// ```
/// use tt_sim::FaultTarget;
///
/// let target: FaultTarget = "POST /orders/regular".parse()?;
/// assert_eq!(target, FaultTarget::new("post", "/orders/regular"));
/// assert_eq!(target.to_string(), "POST /orders/regular");
/// # Ok::<(), tt_sim::InvalidFaultTarget>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultTarget {
    method: String,
    path: String,
}

impl FaultTarget {
    /// The calls with `method` (any case) to `path`.
    pub fn new(method: &str, path: &str) -> FaultTarget {
        FaultTarget {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
        }
    }

    /// True when the call `method path` is one of these.
    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        if !self.method.eq_ignore_ascii_case(method.as_str()) {
            return false;
        }
        let mut wanted = self.path.split('/');
        let mut actual = path.split('/');
        loop {
            match (wanted.next(), actual.next()) {
                (None, None) => return true,
                (Some(w), Some(a)) if w == "*" || w == a => {}
                _ => return false,
            }
        }
    }
}

impl fmt::Display for FaultTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Text that is not `METHOD /path`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a fault target (expected `METHOD /path`, e.g. `POST /orders/regular`)")]
pub struct InvalidFaultTarget(pub String);

impl FromStr for FaultTarget {
    type Err = InvalidFaultTarget;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidFaultTarget(text.to_owned());
        let (method, path) = text.trim().split_once(' ').ok_or_else(invalid)?;
        let path = path.trim();
        if method.is_empty()
            || !method.bytes().all(|b| b.is_ascii_alphabetic())
            || !path.starts_with('/')
        {
            return Err(invalid());
        }
        Ok(FaultTarget::new(method, path))
    }
}

/// What happens to a faulted call; see the module documentation for when each acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Processes the call, then waits this long before answering.
    Delay(Duration),
    /// Processes the call, then closes the connection without answering.
    Drop,
    /// Answers with this status and the faulted broker's error body, without processing the
    /// call: Kite's envelope for Kite paths; for Upstox paths an error whose `error_code` is
    /// `error_type` when that is an Upstox code (`UDAPI100500`, ...), else `UDAPI100500`.
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// Kite's `error_type` (`NetworkException`, `GeneralException`, ...), or Upstox's
        /// `error_code` (`UDAPI...`).
        error_type: String,
        /// The error's `message`.
        message: String,
    },
    /// Processes the call, then answers 200 with its JSON body cut short.
    Malformed,
    /// Processes the call, then answers with this status and the faulted broker's error body
    /// (as for [`Fault::Status`]), as an overloaded gateway does when the order went through
    /// behind it.
    ProcessedThenStatus {
        /// The HTTP status.
        status: StatusCode,
        /// Kite's `error_type`, or Upstox's `error_code`.
        error_type: String,
        /// The error's `message`.
        message: String,
    },
}

/// Faults waiting for their calls, first injected first used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    pending: Vec<(FaultTarget, Fault, u32)>,
}

impl Faults {
    /// Applies `fault` to the next `times` calls matching `target`.
    pub(crate) fn inject(&mut self, target: FaultTarget, fault: Fault, times: u32) {
        if times > 0 {
            self.pending.push((target, fault, times));
        }
    }

    /// Forgets every fault.
    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }

    /// The fault for this call, if one is waiting for it; uses up one of its times.
    pub(crate) fn take(&mut self, method: &Method, path: &str) -> Option<Fault> {
        let index = self
            .pending
            .iter()
            .position(|(target, _, _)| target.matches(method, path))?;
        let entry = self.pending.get_mut(index)?;
        entry.2 -= 1;
        let fault = entry.1.clone();
        if entry.2 == 0 {
            self.pending.remove(index);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_segment() {
        let target = FaultTarget::new("PUT", "/orders/regular/*");
        assert!(target.matches(&Method::PUT, "/orders/regular/250807000000001"));
        assert!(!target.matches(&Method::PUT, "/orders/regular"));
        assert!(!target.matches(&Method::PUT, "/orders/regular/1/trades"));
        assert!(!target.matches(&Method::DELETE, "/orders/regular/1"));
    }

    #[test]
    fn faults_are_used_up_in_order() {
        let mut faults = Faults::default();
        let target = FaultTarget::new("POST", "/orders/regular");
        faults.inject(target.clone(), Fault::Drop, 2);
        faults.inject(target, Fault::Malformed, 1);
        assert_eq!(
            faults.take(&Method::POST, "/orders/regular"),
            Some(Fault::Drop)
        );
        assert_eq!(faults.take(&Method::GET, "/orders"), None);
        assert_eq!(
            faults.take(&Method::POST, "/orders/regular"),
            Some(Fault::Drop)
        );
        assert_eq!(
            faults.take(&Method::POST, "/orders/regular"),
            Some(Fault::Malformed)
        );
        assert_eq!(faults.take(&Method::POST, "/orders/regular"), None);
    }

    #[test]
    fn targets_parse_from_text() {
        assert!("POST".parse::<FaultTarget>().is_err());
        assert!("POST orders".parse::<FaultTarget>().is_err());
        assert_eq!(
            "delete /orders/amo/*"
                .parse::<FaultTarget>()
                .unwrap()
                .to_string(),
            "DELETE /orders/amo/*"
        );
    }
}
