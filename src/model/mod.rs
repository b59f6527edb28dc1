//! The vocabulary every part of misar-dash speaks: which stream, what its
//! connection is doing, and the payloads the APIs send. It imports nothing
//! else of this crate, so the clients, the reducer, the panes and the
//! simulator can all use it without importing each other.

pub mod alert;
pub mod endpoints;
pub mod log;
pub mod mail;
pub mod send;
pub mod stream;

pub use log::{LogBatch, LogEventType, LogQuery, LogRecord, LogRecordRef};
pub use mail::{CampaignUpdate, CampaignUpdateKind, InboxEvent};
pub use send::{SendProgress, SendStatus};
pub use stream::{ConnState, Source, StopReason, UpstreamBody, UpstreamEvent};
