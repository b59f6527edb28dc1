//! The integration tests, as one test binary: each file is a module, and
//! `support` is what they share. One binary links the crate once instead
//! of once per file.
//!
//! `tests/fuzz.rs` stays a binary of its own: `scripts/fuzz-long.sh` builds
//! it alone (`--test fuzz`) and runs each property by its bare name.

mod support;

mod alerts_tmux;
mod bench_cmd;
mod clients;
mod config_cmd;
mod e2e_tmux;
mod export;
mod export_headless;
mod export_tmux;
mod faults;
// The stats file it reads is a test hook (`--features test-hooks`).
#[cfg(feature = "test-hooks")]
mod faults_screen;
mod headless;
mod headless_alerts;
mod hostile_clients;
mod hostile_e2e;
mod hostile_ui;
mod netlog;
mod network;
mod notify_tmux;
mod secrets;
mod signals;
mod sim_cli;
mod sim_contract;
mod ui_alerts;
mod ui_connlog;
mod ui_first_minutes;
mod ui_histogram;
mod ui_snapshots;
mod ui_time_columns;
mod ui_top_values;
