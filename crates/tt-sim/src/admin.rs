//! The admin endpoints under `/__sim/` (not Kite paths): what a test in any language needs to
//! steer a running simulator. JSON in, Kite-style envelopes out; never rate limited, never
//! faulted.
//!
//! They can wipe an account, so loopback alone is not enough: a web page the user happens to
//! open could send a simple cross-site request to `127.0.0.1`. Every admin call must carry the
//! run's admin token in the `X-Sim-Admin-Token` header (random per start and printed by
//! `tt sim`, or set with `--admin-token`), and a body must be `application/json`. A browser
//! cannot add a custom header cross-site without a CORS preflight, and the simulator answers
//! preflights without any `Access-Control-Allow-*` header, so the browser never sends the call.
//! Refusals are 401 `TokenException` (no or wrong token; the expected token is never echoed),
//! 415 `InputException` (a body that is not JSON) and 405 (a preflight).
//!
//! | call | body | does |
//! |---|---|---|
//! | `POST /__sim/faults` | `{"method":"POST","path":"/orders/regular","fault":{"kind":"drop"},"times":1}` | injects a fault (`kind`: `delay` with `millis`, `drop`, `status` or `processed_then_status` with `status`, `error_type`, `message`, `malformed`) |
//! | `DELETE /__sim/faults` | – | removes every pending fault |
//! | `POST /__sim/prices` | `{"instrument":"NSE:INFY","price":1500.5}` or an array of them | moves prices, filling what they reach in every book |
//! | `GET /__sim/orders[?broker=upstox]` | – | every order in the broker's book, in its order shape (Kite's or Upstox's), tags included |
//! | `POST /__sim/market/open` | – | releases after-market orders at every broker |
//! | `PUT /__sim/rate_limits` | `{"preset":"unlimited"}`, `{"preset":"kite","quote_per_second":2}` or `{"broker":"upstox","preset":"upstox","orders_per_minute":100}` | replaces one broker's rate limits (a `null` or `0` field lifts that limit); `preset` defaults to the broker's own limits |
//! | `POST /__sim/session[?broker=upstox]` | none, or `{"broker":"upstox"}` | opens a session at the broker; answers `api_key` (Upstox: the client id), `access_token`, `user_id` |
//! | `POST /__sim/reset` | – | fresh accounts at every broker, reference prices, no faults; sessions stay |
//! | `POST /__sim/stream` | `{"broker":"kite","fault":"drop"}` | throws a fault at the broker's live feed sockets (`fault`: `drop`, `mute`, `garbage`, `expire_token`; see [`crate::StreamFault`]) |
//!
//! `broker` is `kite` (the default) or `upstox`, given as a query parameter or as a `"broker"`
//! field of the JSON body (both at once must agree).

use std::num::NonZeroU32;
use std::time::Duration;

use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tt_core::{Price, Secret};

use crate::call::Call;
use crate::kite::wire::{self, error_reply};
use crate::reply::Reply;
use crate::sim::Sim;
use crate::{
    Fault, FaultTarget, RateLimits, SimBroker, StreamFault, UnknownStreamFault, kite, upstox,
};

/// Why an admin call was refused: answered as a 400 `InputException`.
type Refused = String;

/// The header an admin call carries the run's admin token in.
pub(crate) const TOKEN_HEADER: &str = "X-Sim-Admin-Token";

/// The admin token of one run, and the check every admin call passes first.
#[derive(Debug)]
pub(crate) struct AdminGate {
    token: Secret,
}

impl AdminGate {
    /// A gate for `token`, or for a fresh random one.
    pub(crate) fn new(token: Option<Secret>) -> AdminGate {
        AdminGate {
            token: token.unwrap_or_else(|| Secret::new(crate::session::random_token(32))),
        }
    }

    /// The token admin calls must carry.
    pub(crate) fn token(&self) -> &Secret {
        &self.token
    }

    /// `None` when the call may go on; otherwise the refusal to answer with.
    pub(crate) fn refusal(&self, call: &Call) -> Option<Reply> {
        if call.method == Method::OPTIONS {
            // A CORS preflight: answered without any Access-Control-Allow-* header.
            return Some(error_reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "InputException",
                "The admin endpoints answer no cross-origin preflight.",
            ));
        }
        let presented = call.header(TOKEN_HEADER).unwrap_or("");
        if !same_text(presented.as_bytes(), self.token.expose().as_bytes()) {
            let message = if presented.is_empty() {
                "The admin endpoints need the X-Sim-Admin-Token header (printed by tt sim at start)."
            } else {
                "The X-Sim-Admin-Token header does not match this run's admin token."
            };
            return Some(error_reply(
                StatusCode::UNAUTHORIZED,
                "TokenException",
                message,
            ));
        }
        let json = call
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !call.body.is_empty() && !json {
            return Some(error_reply(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "InputException",
                "An admin call's body must be JSON (Content-Type: application/json).",
            ));
        }
        None
    }
}

/// Compares two byte strings in time that depends on their lengths only, not on where they
/// first differ.
fn same_text(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn parse<'a, T: Deserialize<'a>>(call: &'a Call) -> Result<T, Refused> {
    serde_json::from_slice(&call.body).map_err(|e| format!("Invalid JSON body: {e}"))
}

/// A broker by its name, as the admin calls take it.
fn broker_named(name: &str) -> Result<SimBroker, Refused> {
    SimBroker::ALL
        .into_iter()
        .find(|b| b.name() == name)
        .ok_or_else(|| format!("unknown broker `{name}` (use `kite` or `upstox`)"))
}

/// The broker a call is about: its `broker` query parameter or the `broker` field of its body
/// (`from_body`), Kite when neither names one.
fn broker_of(call: &Call, from_body: Option<&str>) -> Result<SimBroker, Refused> {
    let query = call
        .query_form()
        .map_err(|e| format!("Invalid query encoding `{}`", e.0))?;
    let named = match (query.value("broker"), from_body) {
        (Some(a), Some(b)) if a != b => {
            return Err(format!(
                "the query names broker `{a}` and the body `{b}`: name one"
            ));
        }
        (Some(name), _) | (None, Some(name)) => name,
        (None, None) => return Ok(SimBroker::Kite),
    };
    broker_named(named)
}

/// An optional body naming only a broker (`{"broker":"upstox"}`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BrokerOnly {
    #[serde(default)]
    broker: Option<String>,
}

fn broker_only(call: &Call) -> Result<SimBroker, Refused> {
    let body: BrokerOnly = if call.body.iter().all(u8::is_ascii_whitespace) {
        BrokerOnly::default()
    } else {
        parse(call)?
    };
    broker_of(call, body.broker.as_deref())
}

/// Answers one admin call (already past the [`AdminGate`]).
pub(crate) fn respond(sim: &Sim, call: &Call) -> Reply {
    let route = call.path.trim_start_matches("/__sim").trim_end_matches('/');
    let result = match (&call.method, route) {
        (&Method::POST, "/faults") => inject(sim, call),
        (&Method::DELETE, "/faults") => {
            sim.lock().faults.clear();
            Ok(wire::success(&true))
        }
        (&Method::POST, "/prices") => prices(sim, call),
        (&Method::GET, "/orders") => broker_only(call).map(|broker| match broker {
            SimBroker::Kite => kite::orders::list(sim),
            SimBroker::Upstox => upstox::orders::list(sim),
        }),
        (&Method::POST, "/market/open") => {
            sim.open_market();
            Ok(wire::success(&true))
        }
        (&Method::PUT, "/rate_limits") => rate_limits(sim, call),
        (&Method::POST, "/stream") => stream_fault(sim, call),
        (&Method::POST, "/session") => broker_only(call).map(|broker| {
            let access_token = sim.open_session(broker);
            wire::success(&serde_json::json!({
                "api_key": sim.app.api_key,
                "access_token": access_token,
                "user_id": sim.app.user_id,
            }))
        }),
        (&Method::POST, "/reset") => {
            let mut inner = sim.lock();
            sim.reset(&mut inner);
            Ok(wire::success(&true))
        }
        _ => {
            return error_reply(
                StatusCode::NOT_FOUND,
                "GeneralException",
                &format!("Unknown admin call {} {}", call.method, call.path),
            );
        }
    };
    result
        .unwrap_or_else(|message| error_reply(StatusCode::BAD_REQUEST, "InputException", &message))
}

/// `POST /__sim/stream`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamFaultSpec {
    #[serde(default)]
    broker: Option<String>,
    fault: String,
}

fn stream_fault(sim: &Sim, call: &Call) -> Result<Reply, Refused> {
    let spec: StreamFaultSpec = parse(call)?;
    let broker = broker_of(call, spec.broker.as_deref())?;
    let fault: StreamFault = spec
        .fault
        .parse()
        .map_err(|e: UnknownStreamFault| e.to_string())?;
    sim.stream_fault(broker, fault);
    Ok(wire::success(&true))
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    Delay {
        millis: u64,
    },
    Drop,
    Status {
        status: u16,
        #[serde(default = "default_error_type")]
        error_type: String,
        #[serde(default = "default_message")]
        message: String,
    },
    ProcessedThenStatus {
        status: u16,
        #[serde(default = "default_error_type")]
        error_type: String,
        #[serde(default = "default_message")]
        message: String,
    },
    Malformed,
}

fn default_error_type() -> String {
    "NetworkException".to_owned()
}

fn default_message() -> String {
    "Injected fault".to_owned()
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Injection {
    method: String,
    path: String,
    fault: FaultSpec,
    #[serde(default = "one")]
    times: u32,
}

fn http_status(status: u16) -> Result<StatusCode, Refused> {
    StatusCode::from_u16(status).map_err(|_| format!("`{status}` is not an HTTP status"))
}

fn inject(sim: &Sim, call: &Call) -> Result<Reply, Refused> {
    let injection: Injection = parse(call)?;
    if !injection.path.starts_with('/') || injection.method.is_empty() {
        return Err("`method` and a `path` starting with `/` are required".to_owned());
    }
    let fault = match injection.fault {
        FaultSpec::Delay { millis } => Fault::Delay(Duration::from_millis(millis)),
        FaultSpec::Drop => Fault::Drop,
        FaultSpec::Malformed => Fault::Malformed,
        FaultSpec::Status {
            status,
            error_type,
            message,
        } => Fault::Status {
            status: http_status(status)?,
            error_type,
            message,
        },
        FaultSpec::ProcessedThenStatus {
            status,
            error_type,
            message,
        } => Fault::ProcessedThenStatus {
            status: http_status(status)?,
            error_type,
            message,
        },
    };
    let target = FaultTarget::new(&injection.method, &injection.path);
    sim.lock().faults.inject(target, fault, injection.times);
    Ok(wire::success(&true))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceSetting {
    instrument: String,
    price: Value,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PriceSettings {
    One(PriceSetting),
    Many(Vec<PriceSetting>),
}

fn prices(sim: &Sim, call: &Call) -> Result<Reply, Refused> {
    let settings = match parse::<PriceSettings>(call)? {
        PriceSettings::One(one) => vec![one],
        PriceSettings::Many(many) => many,
    };
    for setting in settings {
        let text = match &setting.price {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            other => return Err(format!("`price` {other} is not a number")),
        };
        let price: Price = text.parse().map_err(|e| format!("`price` {text}: {e}"))?;
        sim.set_price(&setting.instrument, price)
            .map_err(|e| e.to_string())?;
    }
    Ok(wire::success(&true))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitSettings {
    #[serde(default)]
    broker: Option<String>,
    #[serde(default)]
    preset: Option<String>,
    #[serde(default, with = "optional_limit")]
    quote_per_second: Option<Option<NonZeroU32>>,
    #[serde(default, with = "optional_limit")]
    historical_per_second: Option<Option<NonZeroU32>>,
    #[serde(default, with = "optional_limit")]
    orders_per_second: Option<Option<NonZeroU32>>,
    #[serde(default, with = "optional_limit")]
    orders_per_minute: Option<Option<NonZeroU32>>,
    #[serde(default, with = "optional_limit")]
    orders_per_30_minutes: Option<Option<NonZeroU32>>,
    #[serde(default, with = "optional_limit")]
    other_per_second: Option<Option<NonZeroU32>>,
    #[serde(default, with = "optional_limit")]
    other_per_minute: Option<Option<NonZeroU32>>,
    #[serde(default, with = "optional_limit")]
    other_per_30_minutes: Option<Option<NonZeroU32>>,
}

/// A limit field: absent (keep the preset's), `null` or `0` (no limit), or a count.
mod optional_limit {
    use std::num::NonZeroU32;

    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<NonZeroU32>>, D::Error> {
        let value: Option<u32> = Option::deserialize(deserializer)?;
        Ok(Some(value.and_then(NonZeroU32::new)))
    }
}

fn rate_limits(sim: &Sim, call: &Call) -> Result<Reply, Refused> {
    let settings: LimitSettings = parse(call)?;
    let broker = broker_of(call, settings.broker.as_deref())?;
    let mut limits = match settings.preset.as_deref() {
        None => RateLimits::of(broker),
        Some("unlimited") => RateLimits::UNLIMITED,
        Some(name) => RateLimits::of(broker_named(name).map_err(|_| {
            format!("unknown preset `{name}` (use `kite`, `upstox` or `unlimited`)")
        })?),
    };
    let fields = [
        (settings.quote_per_second, &mut limits.quote_per_second),
        (
            settings.historical_per_second,
            &mut limits.historical_per_second,
        ),
        (settings.orders_per_second, &mut limits.orders_per_second),
        (settings.orders_per_minute, &mut limits.orders_per_minute),
        (
            settings.orders_per_30_minutes,
            &mut limits.orders_per_30_minutes,
        ),
        (settings.other_per_second, &mut limits.other_per_second),
        (settings.other_per_minute, &mut limits.other_per_minute),
        (
            settings.other_per_30_minutes,
            &mut limits.other_per_30_minutes,
        ),
    ];
    for (setting, slot) in fields {
        if let Some(value) = setting {
            *slot = value;
        }
    }
    sim.lock().desk_mut(broker).limiter.set_limits(limits);
    Ok(wire::success(&true))
}
