//! Newsletter send progress, as the send-stream's events carry it.

use serde::{Deserialize, Serialize};

/// One progress event. Numbers missing from the wire count as zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendProgress {
    pub status: SendStatus,
    #[serde(default)]
    pub sent: u64,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub opened: u64,
    #[serde(default)]
    pub bounced: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendStatus {
    Sending,
    Sent,
    Failed,
    Cancelled,
    /// A status this client does not know; shown, not treated as terminal.
    #[serde(other)]
    Unknown,
}

impl SendStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SendStatus::Sent | SendStatus::Failed | SendStatus::Cancelled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SendStatus::Sending => "sending",
            SendStatus::Sent => "sent",
            SendStatus::Failed => "failed",
            SendStatus::Cancelled => "cancelled",
            SendStatus::Unknown => "unknown",
        }
    }
}
