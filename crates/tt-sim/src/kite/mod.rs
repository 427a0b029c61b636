//! Kite Connect v3 on the wire: routes, headers, authentication, and each endpoint's request
//! and response, written from Kite's documentation and recorded responses alone.
//!
//! A call goes through, in order: the rate limit of its class (by path, as a gateway counts),
//! the route (404 `Route not found`, 405 for a known path with another method), then for every
//! route but the login page and the session endpoints the `X-Kite-Version: 3` header (400
//! `InputException`) and the `Authorization: token <api_key>:<access_token>` header (403
//! `TokenException`), and finally the endpoint itself.

mod instruments;
pub(crate) mod orders;
mod portfolio;
mod quotes;
mod session;
pub(crate) mod ticker;
pub(crate) mod wire;

use http::Method;

use crate::call::Call;
use crate::rate::RateClass;
use crate::reply::Reply;
use crate::sim::Sim;
use wire::KiteError;

/// The endpoints served.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Login,
    CreateSession,
    DeleteSession,
    Profile,
    Margins,
    SegmentMargins(String),
    Holdings,
    Positions,
    PlaceOrder(String),
    ModifyOrder(String, String),
    CancelOrder(String, String),
    Orders,
    OrderHistory(String),
    OrderTrades(String),
    Trades,
    Quote,
    Ohlc,
    Ltp,
    Instruments(Option<String>),
}

impl Route {
    /// The route of a call: 404 for an unknown path, 405 for a known one with another method.
    fn of(method: &Method, segments: &[String]) -> Result<Route, KiteError> {
        let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
        let allowed = |wanted: &Method, route: Route| {
            if method == wanted {
                Ok(route)
            } else {
                Err(KiteError::method_not_allowed())
            }
        };
        let get = |route| allowed(&Method::GET, route);
        match parts.as_slice() {
            ["connect", "login"] => get(Route::Login),
            ["session", "token"] => match *method {
                Method::POST => Ok(Route::CreateSession),
                Method::DELETE => Ok(Route::DeleteSession),
                _ => Err(KiteError::method_not_allowed()),
            },
            ["user", "profile"] => get(Route::Profile),
            ["user", "margins"] => get(Route::Margins),
            ["user", "margins", segment] => get(Route::SegmentMargins((*segment).to_owned())),
            ["portfolio", "holdings"] => get(Route::Holdings),
            ["portfolio", "positions"] => get(Route::Positions),
            ["orders"] => get(Route::Orders),
            ["orders", one] => match *method {
                Method::GET => Ok(Route::OrderHistory((*one).to_owned())),
                Method::POST => Ok(Route::PlaceOrder((*one).to_owned())),
                _ => Err(KiteError::method_not_allowed()),
            },
            ["orders", order_id, "trades"] if *method == Method::GET => {
                Ok(Route::OrderTrades((*order_id).to_owned()))
            }
            ["orders", variety, order_id] => match *method {
                Method::PUT => Ok(Route::ModifyOrder(
                    (*variety).to_owned(),
                    (*order_id).to_owned(),
                )),
                Method::DELETE => Ok(Route::CancelOrder(
                    (*variety).to_owned(),
                    (*order_id).to_owned(),
                )),
                _ => Err(KiteError::method_not_allowed()),
            },
            ["trades"] => get(Route::Trades),
            ["quote"] => get(Route::Quote),
            ["quote", "ohlc"] => get(Route::Ohlc),
            ["quote", "ltp"] => get(Route::Ltp),
            ["instruments"] => get(Route::Instruments(None)),
            ["instruments", exchange] => get(Route::Instruments(Some((*exchange).to_owned()))),
            _ => Err(KiteError::route_not_found()),
        }
    }
}

/// Answers one Kite call.
pub(crate) fn respond(sim: &Sim, call: &Call) -> Reply {
    match serve(sim, call) {
        Ok(reply) => reply,
        Err(error) => error.reply(),
    }
}

fn serve(sim: &Sim, call: &Call) -> Result<Reply, KiteError> {
    let segments = call
        .segments()
        .map_err(|e| KiteError::input(format!("Invalid path encoding `{}`.", e.0)))?;
    let is_login = matches!(segments.as_slice(), [a, b] if a == "connect" && b == "login");
    if !is_login {
        let now = sim.now();
        let class = RateClass::of(&call.method, &call.path);
        if !sim.lock().kite.limiter.admit(class, now) {
            return Err(KiteError::rate_limited());
        }
    }
    let route = Route::of(&call.method, &segments)?;
    match route {
        Route::Login => return Ok(session::login_page(sim, call)),
        Route::CreateSession => return session::create(sim, call),
        Route::DeleteSession => return session::delete(sim, call),
        _ => {}
    }
    if call.header("x-kite-version") != Some("3") {
        return Err(KiteError::input(
            "Invalid or missing `X-Kite-Version` header: this API needs `X-Kite-Version: 3`.",
        ));
    }
    session::authorize(sim, call)?;
    match route {
        Route::Profile => Ok(portfolio::profile(sim)),
        Route::Margins => Ok(portfolio::margins(sim)),
        Route::SegmentMargins(segment) => portfolio::segment_margins(sim, &segment),
        Route::Holdings => Ok(portfolio::holdings(sim)),
        Route::Positions => Ok(portfolio::positions(sim)),
        Route::PlaceOrder(variety) => orders::place(sim, call, &variety),
        Route::ModifyOrder(variety, order_id) => orders::modify(sim, call, &variety, &order_id),
        Route::CancelOrder(variety, order_id) => orders::cancel(sim, &variety, &order_id),
        Route::Orders => Ok(orders::list(sim)),
        Route::OrderHistory(order_id) => orders::history(sim, &order_id),
        Route::OrderTrades(order_id) => orders::order_trades(sim, &order_id),
        Route::Trades => Ok(orders::trades(sim)),
        Route::Quote => quotes::full(sim, call),
        Route::Ohlc => quotes::ohlc_quotes(sim, call),
        Route::Ltp => quotes::ltp(sim, call),
        Route::Instruments(exchange) => instruments::dump(sim, call, exchange.as_deref()),
        Route::Login | Route::CreateSession | Route::DeleteSession => {
            Err(KiteError::route_not_found())
        }
    }
}

/// 400 for parameters that are not valid form encoding.
fn bad_encoding(e: crate::form::BadEncoding) -> KiteError {
    KiteError::input(format!("Invalid parameter encoding `{}`.", e.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str) -> Result<Route, KiteError> {
        let segments: Vec<String> = path[1..].split('/').map(str::to_owned).collect();
        Route::of(&method, &segments)
    }

    #[test]
    fn order_paths_route_by_method() {
        assert_eq!(
            route(Method::POST, "/orders/regular"),
            Ok(Route::PlaceOrder("regular".into()))
        );
        assert_eq!(
            route(Method::GET, "/orders/123"),
            Ok(Route::OrderHistory("123".into()))
        );
        assert_eq!(
            route(Method::PUT, "/orders/amo/123"),
            Ok(Route::ModifyOrder("amo".into(), "123".into()))
        );
        assert_eq!(
            route(Method::GET, "/orders/123/trades"),
            Ok(Route::OrderTrades("123".into()))
        );
        assert_eq!(
            route(Method::PATCH, "/orders/regular/1")
                .unwrap_err()
                .status,
            http::StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            route(Method::GET, "/nothing").unwrap_err().status,
            http::StatusCode::NOT_FOUND
        );
    }
}
