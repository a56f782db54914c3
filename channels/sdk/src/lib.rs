//! Guest-side helpers for Switchboard channels.
