-- Schema version 4: what contract 0.2 says about a message, and why it gets no turn.
--
-- Added columns only (no rebuild): existing rows take the values a 0.1 channel
-- implies (a person, a chat of unknown type, no mention), which is what they were.

ALTER TABLE messages ADD COLUMN sender_kind TEXT NOT NULL DEFAULT 'user'
    CHECK (sender_kind IN ('user', 'bot', 'this_bot'));
ALTER TABLE messages ADD COLUMN chat_type TEXT NOT NULL DEFAULT 'unknown'
    CHECK (chat_type IN ('unknown', 'direct', 'group', 'broadcast'));
ALTER TABLE messages ADD COLUMN mentions_bot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN thread_id TEXT;
-- The platform's time of the version stored, for an edit (Unix ms): a redelivered or
-- older edit does not overwrite a newer one.
ALTER TABLE messages ADD COLUMN platform_edited_at_ms INTEGER;
-- Attachments, reaction and button press as one JSON object; NULL when none. Nothing
-- queries inside it; it is handed back to the channel and shown by the CLI.
ALTER TABLE messages ADD COLUMN details TEXT;
-- Why the message gets no agent turn (`from-bot`, `service-event`, ...); NULL when it
-- gets one. Such rows are written with agent_state 'done', so no queue sees them.
ALTER TABLE messages ADD COLUMN no_turn TEXT;
