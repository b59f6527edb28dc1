//! misar-dash: a terminal dashboard for email sends.
//!
//! `upstream` talks to the three APIs, `sim` stands in for them, `app` holds
//! the state and its reducer, `ui` renders it, `headless` prints NDJSON.

pub mod app;
pub mod cli;
pub mod config;
pub mod headless;
pub mod sanitize;
pub mod sim;
pub mod ui;
pub mod upstream;
