//! The vocabulary every part of misar-dash speaks: which stream, what its
//! connection is doing, and the payloads the APIs send. It imports nothing
//! else of this crate, so the clients, the reducer, the panes and the
//! simulator can all use it without importing each other.
//!
//! (Moving here step by step, issue 17: the domain-log batch view and the
//! upstream event are still in `upstream`.)

pub mod endpoints;
pub mod log;
pub mod mail;
pub mod send;
pub mod stream;

pub use log::{LogEventType, LogQuery, LogRecord};
pub use mail::{CampaignUpdate, CampaignUpdateKind, InboxEvent};
pub use send::{SendProgress, SendStatus};
pub use stream::{ConnState, Source, StopReason};
