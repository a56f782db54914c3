//! The whatsapp channel.
