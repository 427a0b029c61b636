//! The admin endpoints under `/__sim/` (not Kite paths): what a test in any language needs to
//! steer a running simulator. JSON in, Kite-style envelopes out; never rate limited, never
//! faulted, no authentication (the simulator listens on loopback only).
//!
//! | call | body | does |
//! |---|---|---|
//! | `POST /__sim/faults` | `{"method":"POST","path":"/orders/regular","fault":{"kind":"drop"},"times":1}` | injects a fault (`kind`: `delay` with `millis`, `drop`, `status` or `processed_then_status` with `status`, `error_type`, `message`, `malformed`) |
//! | `DELETE /__sim/faults` | – | removes every pending fault |
//! | `POST /__sim/prices` | `{"instrument":"NSE:INFY","price":1500.5}` or an array of them | moves prices, filling what they reach |
//! | `GET /__sim/orders` | – | every order in the book, Kite's order shape, tags included |
//! | `POST /__sim/market/open` | – | releases after-market orders |
//! | `PUT /__sim/rate_limits` | `{"preset":"unlimited"}` or `{"preset":"kite","quote_per_second":2}` | replaces the rate limits (a `null` or `0` field lifts that limit) |
//! | `POST /__sim/session` | – | opens a session; answers `api_key`, `access_token`, `user_id` |
//! | `POST /__sim/reset` | – | fresh account, reference prices, no faults; sessions stay |

use std::num::NonZeroU32;
use std::time::Duration;

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tt_core::Price;

use crate::call::Call;
use crate::kite::orders;
use crate::kite::wire::{self, error_reply};
use crate::reply::Reply;
use crate::sim::Sim;
use crate::{Fault, FaultTarget, RateLimits};

/// Why an admin call was refused: answered as a 400 `InputException`.
type Refused = String;

fn parse<'a, T: Deserialize<'a>>(call: &'a Call) -> Result<T, Refused> {
    serde_json::from_slice(&call.body).map_err(|e| format!("Invalid JSON body: {e}"))
}

/// Answers one admin call.
pub(crate) fn respond(sim: &Sim, call: &Call) -> Reply {
    let route = call.path.trim_start_matches("/__sim").trim_end_matches('/');
    let result = match (&call.method, route) {
        (&Method::POST, "/faults") => inject(sim, call),
        (&Method::DELETE, "/faults") => {
            sim.lock().faults.clear();
            Ok(wire::success(&true))
        }
        (&Method::POST, "/prices") => prices(sim, call),
        (&Method::GET, "/orders") => Ok(orders::list(sim)),
        (&Method::POST, "/market/open") => {
            sim.open_market();
            Ok(wire::success(&true))
        }
        (&Method::PUT, "/rate_limits") => rate_limits(sim, call),
        (&Method::POST, "/session") => {
            let access_token = sim.open_session();
            Ok(wire::success(&serde_json::json!({
                "api_key": sim.app.api_key,
                "access_token": access_token,
                "user_id": sim.app.user_id,
            })))
        }
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
    other_per_second: Option<Option<NonZeroU32>>,
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
    let mut limits = match settings.preset.as_deref() {
        None | Some("kite") => RateLimits::KITE,
        Some("unlimited") => RateLimits::UNLIMITED,
        Some(other) => {
            return Err(format!(
                "unknown preset `{other}` (use `kite` or `unlimited`)"
            ));
        }
    };
    let fields = [
        (settings.quote_per_second, &mut limits.quote_per_second),
        (
            settings.historical_per_second,
            &mut limits.historical_per_second,
        ),
        (settings.orders_per_second, &mut limits.orders_per_second),
        (settings.orders_per_minute, &mut limits.orders_per_minute),
        (settings.other_per_second, &mut limits.other_per_second),
    ];
    for (setting, slot) in fields {
        if let Some(value) = setting {
            *slot = value;
        }
    }
    sim.lock().limiter.set_limits(limits);
    Ok(wire::success(&true))
}
