//! The Server-Sent Events decoder.
