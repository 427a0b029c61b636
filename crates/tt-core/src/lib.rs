//! The vocabulary every tt-connect crate speaks.
//!
//! `tt-core` holds the domain and nothing else: no I/O, no broker field names. It defines
//!
//! - [`Exchange`] and the order terms ([`Side`], [`OrderType`], [`ProductType`], [`Validity`],
//!   [`OrderStatus`]);
//! - typed, validated instruments ([`Equity`], [`Index`], [`Future`], [`OptionContract`], [`Currency`],
//!   and [`Instrument`] over them) with one canonical text form;
//! - exact money ([`Price`], [`Amount`]) and tick/lot checks;
//! - the models brokers report ([`Order`], [`Trade`], [`Position`], [`Holding`], [`Tick`],
//!   [`Profile`], [`Funds`]) and the [`OrderRequest`] a strategy builds;
//! - the one [`Error`] type, whose variants know whether a retry can help;
//! - [`Capabilities`], and the traits an adapter implements ([`Broker`], [`Trading`],
//!   [`MarketFeed`], [`InstrumentSource`]) with [`Login`] for the login flow;
//! - the broker registry: [`BrokerSettings`], and [`register_broker!`] by which a broker crate
//!   makes itself buildable by name just by being linked.
//!
//! Users normally reach all of this through `tt-connect`, which re-exports it.
//!
//! An option contract is [`OptionContract`] (its text form is still `NFO:NIFTY:...:CE`), so a glob
//! import never shadows the prelude's `Option`.

mod account;
mod broker;
mod capabilities;
mod clock;
mod dump;
mod error;
mod exchange;
mod feed;
mod instrument;
mod login;
mod market;
mod money;
mod order;
mod portfolio;
mod registry;
mod secret;
mod wire;

pub use account::{Funds, Profile, SegmentFunds};
pub use broker::{Broker, DumpRows, InstrumentSource, MarketFeed, Trading};
pub use capabilities::Capabilities;
pub use clock::{Clock, IST, ManualClock, SystemClock, next_ist_time, parse_ist};
pub use dump::{BrokerToken, DumpError, DumpRecord, OnStale, Underlying, UnderlyingBasis};
pub use error::{Error, Result};
pub use exchange::{Exchange, UnknownExchange};
pub use feed::{
    CloseReason, ConnectionId, ConnectionKind, Disconnect, Feed, FeedControl, FeedError, FeedEvent,
    FeedOptions, FeedStream, FrameRecorder, MarketPhase, MarketSegment, MarketStatus, OrderUpdate,
};
pub use instrument::{
    ContractSpec, Currency, CurrencyContract, Equity, Future, Index, Instrument, InstrumentError,
    InstrumentKind, IntoStrike, OptionContract, OptionType, Symbol,
};
pub use login::{BadRedirect, Login, RedirectParams, SessionEnded, SessionExpiryHook, SessionInfo};
pub use market::{
    Depth, DepthLevel, DepthSide, Greeks, Ohlc, QuoteDetail, StreamMode, Tick, TickData,
    UnknownStreamMode,
};
pub use money::{Amount, DECIMALS, Price, PriceError, is_lot_multiple};
pub use order::{
    ClientTag, InvalidId, InvalidOrderReason, Order, OrderAction, OrderChange, OrderId,
    OrderModification, OrderRecord, OrderRequest, OrderRequestBuilder, OrderState, OrderStatus,
    OrderType, ProductType, Side, Trade, TradeId, UnknownValidity, Validity, ValidityKind,
};
pub use portfolio::{Holding, Position, Positions};
pub use registry::{BrokerFactory, BrokerRegistration, BrokerSettings, RegisteredBroker};
pub use secret::Secret;
pub use wire::WireReader;

/// Re-exported so adapters and users name the same `async_trait` the traits were written with.
pub use async_trait::async_trait;

/// Not public API: what [`register_broker!`] expands to.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
}

/// Re-exported so adapters can build a [`FeedStream`] without depending on `futures-core`.
pub use futures_core::Stream;
