//! Upstox API v2/v3 on the wire: routes, headers, authentication, and each endpoint's request
//! and response, written from Upstox's documentation and official SDK models alone (it shares
//! no code with `tt-upstox`).
//!
//! A call goes through, in order: the route (404 or 405 `UDAPI10000`), the rate limit (place,
//! modify and cancel share the order bucket; every other API, "per user, per API" as Upstox
//! documents it, has a standard bucket of its own; the login dialog and the public instrument
//! files are not counted), then for the v2 calls Upstox documents as
//! needing it the `Api-Version: 2.0` header (400 `UDAPI100015`; never on v3 calls or
//! `/v2/order/details`), then for every route but the login dialog, the token exchange and the
//! instrument files the `Authorization: Bearer <access_token>` header (401 `UDAPI100050`), and
//! finally the endpoint itself.
//!
//! The order host's paths (`/v2|v3/order/place|modify|cancel`) are served on the same address,
//! so a client pointing both its API root and its order root at the simulator works.

pub(crate) mod feed;
pub(crate) mod feed_proto;
mod instruments;
pub(crate) mod orders;
mod portfolio;
pub(crate) mod portfolio_feed;
mod quotes;
mod session;
pub(crate) mod wire;

use http::Method;

use crate::SimBroker;
use crate::call::Call;
use crate::rate::RateClass;
use crate::reply::Reply;
use crate::sim::Sim;
use crate::universe::{Contract, Listing};
use wire::UpstoxError;

/// The API version of a call, by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// `/v2/...`.
    V2,
    /// `/v3/...`.
    V3,
}

/// The endpoints served.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Dialog,
    Token,
    Logout,
    Profile,
    Funds,
    Holdings,
    Positions,
    Place(Version),
    Modify(Version),
    Cancel(Version),
    OrderBook,
    OrderDetails,
    OrderHistory,
    Trades,
    OrderTrades,
    FullQuote,
    Ltp(Version),
    Ohlc(Version),
    InstrumentFile(String),
    MarketDataFeedAuthorize,
    PortfolioFeedAuthorize,
}

impl Route {
    /// The API a call is counted against: Upstox limits each standard API on its own.
    fn api(&self) -> &'static str {
        match self {
            Route::Dialog => "login dialog",
            Route::Token => "token",
            Route::Logout => "logout",
            Route::Profile => "profile",
            Route::Funds => "funds and margin",
            Route::Holdings => "holdings",
            Route::Positions => "positions",
            Route::Place(_) => "place order",
            Route::Modify(_) => "modify order",
            Route::Cancel(_) => "cancel order",
            Route::OrderBook => "order book",
            Route::OrderDetails => "order details",
            Route::OrderHistory => "order history",
            Route::Trades => "trades for the day",
            Route::OrderTrades => "trades of an order",
            Route::FullQuote => "full market quote",
            Route::Ltp(Version::V2) => "ltp v2",
            Route::Ltp(Version::V3) => "ltp v3",
            Route::Ohlc(Version::V2) => "ohlc v2",
            Route::Ohlc(Version::V3) => "ohlc v3",
            Route::InstrumentFile(_) => "instrument file",
            Route::MarketDataFeedAuthorize => "market data feed authorize",
            Route::PortfolioFeedAuthorize => "portfolio stream feed authorize",
        }
    }

    /// The route of a call: 404 for an unknown path, 405 for a known one with another method.
    fn of(method: &Method, segments: &[String]) -> Result<Route, UpstoxError> {
        use Version::{V2, V3};
        let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
        let only = |wanted: Method, route: Route| {
            if *method == wanted {
                Ok(route)
            } else {
                Err(UpstoxError::method_not_allowed())
            }
        };
        let version = |v: &str| if v == "v3" { V3 } else { V2 };
        match parts.as_slice() {
            ["v2", "login", "authorization", "dialog"] => only(Method::GET, Route::Dialog),
            ["v2", "login", "authorization", "token"] => only(Method::POST, Route::Token),
            ["v2", "logout"] => only(Method::DELETE, Route::Logout),
            ["v2", "user", "profile"] => only(Method::GET, Route::Profile),
            ["v2", "user", "get-funds-and-margin"] => only(Method::GET, Route::Funds),
            ["v2", "portfolio", "long-term-holdings"] => only(Method::GET, Route::Holdings),
            ["v2", "portfolio", "short-term-positions"] => only(Method::GET, Route::Positions),
            [v @ ("v2" | "v3"), "order", "place"] => only(Method::POST, Route::Place(version(v))),
            [v @ ("v2" | "v3"), "order", "modify"] => only(Method::PUT, Route::Modify(version(v))),
            [v @ ("v2" | "v3"), "order", "cancel"] => {
                only(Method::DELETE, Route::Cancel(version(v)))
            }
            ["v2", "order", "retrieve-all"] => only(Method::GET, Route::OrderBook),
            ["v2", "order", "details"] => only(Method::GET, Route::OrderDetails),
            ["v2", "order", "history"] => only(Method::GET, Route::OrderHistory),
            ["v2", "order", "trades", "get-trades-for-day"] => only(Method::GET, Route::Trades),
            ["v2", "order", "trades"] => only(Method::GET, Route::OrderTrades),
            ["v2", "market-quote", "quotes"] => only(Method::GET, Route::FullQuote),
            [v @ ("v2" | "v3"), "market-quote", "ltp"] => only(Method::GET, Route::Ltp(version(v))),
            [v @ ("v2" | "v3"), "market-quote", "ohlc"] => {
                only(Method::GET, Route::Ohlc(version(v)))
            }
            ["v3", "feed", "market-data-feed", "authorize"] => {
                only(Method::GET, Route::MarketDataFeedAuthorize)
            }
            ["v2", "feed", "portfolio-stream-feed", "authorize"] => {
                only(Method::GET, Route::PortfolioFeedAuthorize)
            }
            ["market-quote", "instruments", "exchange", file] => {
                only(Method::GET, Route::InstrumentFile((*file).to_owned()))
            }
            _ => Err(UpstoxError::not_found()),
        }
    }

    /// True for the v2 calls that need `Api-Version: 2.0`.
    fn needs_api_version(&self) -> bool {
        match self {
            Route::Token
            | Route::Logout
            | Route::Profile
            | Route::Funds
            | Route::Holdings
            | Route::Positions
            | Route::OrderBook
            | Route::OrderHistory
            | Route::Trades
            | Route::OrderTrades => true,
            Route::Place(v) | Route::Modify(v) | Route::Cancel(v) => *v == Version::V2,
            Route::Dialog
            | Route::OrderDetails
            | Route::FullQuote
            | Route::Ltp(_)
            | Route::Ohlc(_)
            | Route::InstrumentFile(_)
            | Route::MarketDataFeedAuthorize
            | Route::PortfolioFeedAuthorize => false,
        }
    }
}

/// Which limit an Upstox call counts against: orders (place, modify, cancel, one bucket), or
/// standard; `None` for the uncounted ones.
fn rate_class(method: &Method, path: &str) -> Option<RateClass> {
    if path.starts_with("/market-quote/instruments/") || path == "/v2/login/authorization/dialog" {
        return None;
    }
    let order_call = ["/order/place", "/order/modify", "/order/cancel"]
        .iter()
        .any(|tail| path.ends_with(tail))
        && (path.starts_with("/v2/") || path.starts_with("/v3/"))
        && matches!(*method, Method::POST | Method::PUT | Method::DELETE);
    Some(if order_call {
        RateClass::Orders
    } else {
        RateClass::Other
    })
}

/// Answers one Upstox call.
pub(crate) fn respond(sim: &Sim, call: &Call) -> Reply {
    match serve(sim, call) {
        Ok(reply) => reply,
        Err(error) => error.reply(),
    }
}

fn serve(sim: &Sim, call: &Call) -> Result<Reply, UpstoxError> {
    let segments = call.segments().map_err(|e| {
        UpstoxError::bad(
            wire::code::NOT_SUPPORTED,
            format!("Invalid path encoding `{}`.", e.0),
        )
    })?;
    let route = Route::of(&call.method, &segments)?;
    if let Some(class) = rate_class(&call.method, &call.path) {
        let now = sim.now();
        let mut inner = sim.lock();
        let limiter = &mut inner.desk_mut(SimBroker::Upstox).limiter;
        // The order APIs share one bucket; every standard API has its own.
        let admitted = match class {
            RateClass::Orders => limiter.admit(class, now),
            _ => limiter.admit_api(class, route.api(), now),
        };
        if !admitted {
            return Err(UpstoxError::rate_limited());
        }
    }
    if route.needs_api_version() && call.header("api-version") != Some("2.0") {
        return Err(UpstoxError::api_version());
    }
    // The calls a client makes before it has a token, or without one.
    match &route {
        Route::Dialog => return session::dialog(sim, call),
        Route::Token => return session::token(sim, call),
        Route::InstrumentFile(file) => return instruments::file(sim, file),
        _ => {}
    }
    let access_token = session::authorize(sim, call)?;
    match route {
        Route::Logout => Ok(session::logout(sim, access_token)),
        Route::Profile => Ok(portfolio::profile(sim)),
        Route::Funds => portfolio::funds(sim, call),
        Route::Holdings => Ok(portfolio::holdings(sim)),
        Route::Positions => Ok(portfolio::positions(sim)),
        Route::Place(version) => orders::place(sim, call, version),
        Route::Modify(version) => orders::modify(sim, call, version),
        Route::Cancel(version) => orders::cancel(sim, call, version),
        Route::OrderBook => Ok(orders::list(sim)),
        Route::OrderDetails => orders::details(sim, call),
        Route::OrderHistory => orders::history(sim, call),
        Route::Trades => Ok(orders::trades(sim)),
        Route::OrderTrades => orders::order_trades(sim, call),
        Route::FullQuote => quotes::full(sim, call),
        Route::Ltp(Version::V2) => quotes::ltp_v2(sim, call),
        Route::Ltp(Version::V3) => quotes::ltp_v3(sim, call),
        Route::Ohlc(Version::V2) => quotes::ohlc_v2(sim, call),
        Route::Ohlc(Version::V3) => quotes::ohlc_v3(sim, call),
        Route::MarketDataFeedAuthorize => Ok(feed::authorize_market_data(sim, access_token)),
        Route::PortfolioFeedAuthorize => {
            portfolio_feed::authorize_portfolio(sim, call, access_token)
        }
        Route::Dialog | Route::Token | Route::InstrumentFile(_) => Err(UpstoxError::not_found()),
    }
}

/// The instrument with Upstox's instrument `key` and its Upstox contract, or 400 `UDAPI1087`
/// naming the request field `property_path` that sent it.
fn listed<'s>(
    sim: &'s Sim,
    key: &str,
    property_path: &str,
) -> Result<(&'s Listing, &'s Contract), UpstoxError> {
    sim.universe
        .by_upstox_key(key)
        .and_then(|l| Some((l, l.upstox.as_ref()?)))
        .ok_or_else(|| {
            UpstoxError::bad(wire::code::INVALID_KEY, "Invalid Instrument key")
                .at(property_path, Some(key.into()))
        })
}

/// 400 for parameters that are not valid form encoding.
fn bad_encoding(e: crate::form::BadEncoding) -> UpstoxError {
    UpstoxError::input(format!("Invalid parameter encoding `{}`.", e.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str) -> Result<Route, UpstoxError> {
        let segments: Vec<String> = path[1..].split('/').map(str::to_owned).collect();
        Route::of(&method, &segments)
    }

    #[test]
    fn order_paths_route_by_version_and_method() {
        assert_eq!(
            route(Method::POST, "/v3/order/place"),
            Ok(Route::Place(Version::V3))
        );
        assert_eq!(
            route(Method::DELETE, "/v2/order/cancel"),
            Ok(Route::Cancel(Version::V2))
        );
        assert_eq!(
            route(Method::GET, "/v2/order/place").unwrap_err().status,
            http::StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            route(Method::GET, "/v2/nothing").unwrap_err().status,
            http::StatusCode::NOT_FOUND
        );
        assert!(Route::Place(Version::V2).needs_api_version());
        assert!(!Route::Place(Version::V3).needs_api_version());
        assert!(!Route::OrderDetails.needs_api_version());
    }

    #[test]
    fn order_calls_share_one_rate_class() {
        for (method, path) in [
            (Method::POST, "/v3/order/place"),
            (Method::PUT, "/v2/order/modify"),
            (Method::DELETE, "/v3/order/cancel"),
        ] {
            assert_eq!(rate_class(&method, path), Some(RateClass::Orders));
        }
        assert_eq!(
            rate_class(&Method::GET, "/v2/market-quote/ltp"),
            Some(RateClass::Other)
        );
        assert_eq!(
            rate_class(
                &Method::GET,
                "/market-quote/instruments/exchange/complete.json.gz"
            ),
            None
        );
    }
}
