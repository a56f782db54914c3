//! Outbound HTTP for channels: grants, secret injection, address policy.
