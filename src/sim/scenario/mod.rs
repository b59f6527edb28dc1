//! The simulated world: issues, campaigns, inbox traffic and domain logs.
//!
//! Everything here is a pure function of the seed and a simulated time (or a
//! record index), never of what was asked before: a client that reconnects
//! sees the same issue numbers, the same campaign schedule and the same log
//! records it would have seen had it stayed connected.

mod account;
mod campaigns;
mod domains;
mod epoch;
mod inbox;
mod issues;
mod people;
mod record_text;
mod records;
mod rng;

pub use account::Account;
pub use campaigns::CampaignFate;
pub use domains::DomainBehavior;
pub use issues::IssueFate;

pub(crate) use campaigns::{
    COMPLAINT_CAMPAIGN_NAME, Campaign, complaint_campaign, demo_campaign, demo_campaigns_touching,
    other_campaign,
};
pub(crate) use domains::{DomainSpec, domains};
pub(crate) use epoch::Epoch;
pub(crate) use inbox::inbox_events;
pub(crate) use issues::{Issue, issues};
pub(crate) use records::RecordGen;
