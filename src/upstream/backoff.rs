//! Reconnect delays: exponential backoff with jitter.
