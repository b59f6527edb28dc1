//! Mail events as the WebSocket API sends them: the inbox channel's
//! events and a campaign channel's updates. Fields the vendor doc does not
//! fix are optional; fields nobody knows are kept in `extra`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An inbox event. Fields the vendor doc does not fix are optional; fields
/// nobody knows are kept in `extra` so nothing is lost on the way to the
/// headless output or the detail view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxEvent {
    EmailReceived(InboxMail),
    Bounce(InboxContact),
    Complaint(InboxContact),
    Unsubscribe(InboxContact),
    CampaignStarted(InboxCampaign),
    CampaignCompleted(InboxCampaign),
}

impl InboxEvent {
    pub fn type_name(&self) -> &'static str {
        match self {
            InboxEvent::EmailReceived(_) => "email_received",
            InboxEvent::Bounce(_) => "bounce",
            InboxEvent::Complaint(_) => "complaint",
            InboxEvent::Unsubscribe(_) => "unsubscribe",
            InboxEvent::CampaignStarted(_) => "campaign_started",
            InboxEvent::CampaignCompleted(_) => "campaign_completed",
        }
    }

    /// When it happened, as the server wrote it (RFC 3339), if it said.
    pub fn at(&self) -> Option<&str> {
        match self {
            InboxEvent::EmailReceived(m) => m.received_at.as_deref(),
            InboxEvent::Bounce(c) | InboxEvent::Complaint(c) | InboxEvent::Unsubscribe(c) => {
                c.at.as_deref()
            }
            InboxEvent::CampaignStarted(c) => c.started_at.as_deref(),
            InboxEvent::CampaignCompleted(c) => c.completed_at.as_deref(),
        }
    }
}

/// `email_received`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxMail {
    #[serde(default)]
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `bounce`, `complaint` and `unsubscribe`: something happened to one
/// address, usually because of a campaign.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxContact {
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_name: Option<String>,
    #[serde(default, alias = "timestamp", skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `campaign_started` and `campaign_completed`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxCampaign {
    #[serde(default)]
    pub campaign_id: String,
    #[serde(default)]
    pub campaign_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One event on a campaign channel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignUpdate {
    #[serde(rename = "type")]
    pub kind: CampaignUpdateKind,
    #[serde(default)]
    pub campaign_id: String,
    #[serde(default)]
    pub sent: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(default)]
    pub delivered: u64,
    #[serde(default)]
    pub bounced: u64,
    #[serde(default)]
    pub opened: u64,
    /// Why a campaign failed or was cancelled, when the server says.
    #[serde(default, alias = "error", skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignUpdateKind {
    #[default]
    Progress,
    Completed,
    Failed,
    Cancelled,
}

impl CampaignUpdateKind {
    /// After a terminal event the server closes the channel with 1000.
    pub fn is_terminal(self) -> bool {
        !matches!(self, CampaignUpdateKind::Progress)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignUpdateKind::Progress => "progress",
            CampaignUpdateKind::Completed => "completed",
            CampaignUpdateKind::Failed => "failed",
            CampaignUpdateKind::Cancelled => "cancelled",
        }
    }
}
