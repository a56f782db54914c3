-- Schema version 2: fewer pages written per stored message.
--
-- Every B-tree an insert or update touches is at least one more page in the commit's
-- write-ahead log frames. Version 1 touched eight per new message: the table, five
-- indexes and `sqlite_sequence`. This version drops two redundant queue indexes and
-- AUTOINCREMENT (whose `sqlite_sequence` row was rewritten on every insert).
--
-- # Ids are still never reused
--
-- Ids of messages and replies appear in idempotency keys sent to platforms and in
-- history cursors, so they must never be reused after a prune. A plain INTEGER PRIMARY
-- KEY hands out max(id) + 1, which repeats an id once the newest rows are deleted.
-- `id_floor` keeps, per table, the lowest id a new row may take; every insert asks for
-- max(max(id) + 1, next_id). That costs an insert one read of a page that stays cached
-- and no write: the floor is written only by the triggers below, when a delete (a
-- prune, or its cascade to replies) removes the row holding the table's highest id.
-- The alternative of never pruning a table's newest row needs no reads either, but
-- keeps rows alive past their cutoff and must chase the cascade from messages to
-- replies by hand.
--
-- SQLite cannot drop AUTOINCREMENT with ALTER TABLE, so the three tables are rebuilt:
-- the old ones are renamed away, which also repoints the foreign key of the old
-- `replies` at the renamed `messages`. Dropping the old `replies` before the old
-- `messages` leaves no child behind, so the DROP's implicit DELETE cascades nowhere,
-- and the new `replies` keeps its key on the new `messages`. All of it runs in the
-- migration's transaction: a crash leaves the file at version 1.

CREATE TABLE id_floor (
    name    TEXT    PRIMARY KEY,
    next_id INTEGER NOT NULL
) WITHOUT ROWID;

-- AUTOINCREMENT's high-water marks, which may lie above the current max(id) when the
-- newest rows were already pruned. Read before the renames, which move these rows.
INSERT INTO id_floor (name, next_id)
SELECT t.column1, coalesce((SELECT s.seq FROM sqlite_sequence s WHERE s.name = t.column1), 0) + 1
FROM (VALUES ('messages'), ('replies'), ('dead_letters')) t;

ALTER TABLE messages RENAME TO messages_v1;
ALTER TABLE replies RENAME TO replies_v1;
ALTER TABLE dead_letters RENAME TO dead_letters_v1;

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    instance         TEXT    NOT NULL,
    external_id      TEXT    NOT NULL,
    conversation_id  TEXT    NOT NULL,
    sender_id        TEXT    NOT NULL,
    sender_name      TEXT,
    text             TEXT,
    -- Platform send time in Unix seconds, stored bit for bit from the unsigned value.
    timestamp        INTEGER NOT NULL,
    reply_to         TEXT,
    kind             TEXT    NOT NULL,
    is_edit          INTEGER NOT NULL DEFAULT 0,
    metadata         TEXT    NOT NULL,
    received_at_ms   INTEGER NOT NULL,
    edited_at_ms     INTEGER,
    hook_state       TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (hook_state IN ('pending', 'done', 'failed', 'skipped')),
    hook_attempts    INTEGER NOT NULL DEFAULT 0,
    hook_next_at_ms  INTEGER NOT NULL DEFAULT 0,
    hook_error       TEXT,
    agent_state      TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (agent_state IN ('pending', 'done', 'failed')),
    agent_attempts   INTEGER NOT NULL DEFAULT 0,
    agent_next_at_ms INTEGER NOT NULL DEFAULT 0,
    agent_error      TEXT,
    UNIQUE (instance, external_id)
);

INSERT INTO messages (id, instance, external_id, conversation_id, sender_id, sender_name,
    text, timestamp, reply_to, kind, is_edit, metadata, received_at_ms, edited_at_ms,
    hook_state, hook_attempts, hook_next_at_ms, hook_error,
    agent_state, agent_attempts, agent_next_at_ms, agent_error)
SELECT id, instance, external_id, conversation_id, sender_id, sender_name,
    text, timestamp, reply_to, kind, is_edit, metadata, received_at_ms, edited_at_ms,
    hook_state, hook_attempts, hook_next_at_ms, hook_error,
    agent_state, agent_attempts, agent_next_at_ms, agent_error
FROM messages_v1 ORDER BY id;

CREATE TABLE replies (
    id                  INTEGER PRIMARY KEY,
    instance            TEXT    NOT NULL,
    conversation_id     TEXT    NOT NULL,
    -- Pruning a message takes its finished replies with it.
    message_id          INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    text                TEXT    NOT NULL,
    idempotency_key     TEXT    NOT NULL UNIQUE,
    status              TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'dead')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms  INTEGER NOT NULL,
    last_error          TEXT,
    receipt_external_id TEXT,
    created_at_ms       INTEGER NOT NULL,
    sent_at_ms          INTEGER
);

INSERT INTO replies (id, instance, conversation_id, message_id, text, idempotency_key,
    status, attempts, next_attempt_at_ms, last_error, receipt_external_id, created_at_ms,
    sent_at_ms)
SELECT id, instance, conversation_id, message_id, text, idempotency_key,
    status, attempts, next_attempt_at_ms, last_error, receipt_external_id, created_at_ms,
    sent_at_ms
FROM replies_v1 ORDER BY id;

CREATE TABLE dead_letters (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('delivery', 'reply', 'hook', 'agent')),
    instance       TEXT    NOT NULL,
    -- Set for letters the store writes itself, so a replay can find its row again.
    -- Deliberately not foreign keys: a letter outlives what it describes.
    message_id     INTEGER,
    reply_id       INTEGER,
    created_at_ms  INTEGER NOT NULL,
    error          TEXT    NOT NULL,
    payload        BLOB    NOT NULL,
    replayed_at_ms INTEGER
);

INSERT INTO dead_letters (id, kind, instance, message_id, reply_id, created_at_ms, error,
    payload, replayed_at_ms)
SELECT id, kind, instance, message_id, reply_id, created_at_ms, error,
    payload, replayed_at_ms
FROM dead_letters_v1 ORDER BY id;

-- Child before parent: see the top of this file.
DROP TABLE replies_v1;
DROP TABLE messages_v1;
DROP TABLE dead_letters_v1;

-- One partial index per work queue, each serving both the scan for due work and the
-- per-conversation ordering check (see `pending_turns` and `due_replies`). The queues
-- stay small while the tables grow.
CREATE INDEX messages_hook_queue ON messages (id, hook_next_at_ms)
    WHERE hook_state = 'pending';
CREATE INDEX messages_agent_queue ON messages (instance, conversation_id, id, agent_next_at_ms)
    WHERE agent_state = 'pending';
CREATE INDEX messages_conversation ON messages (instance, conversation_id, id);
CREATE INDEX messages_received ON messages (received_at_ms);

CREATE INDEX replies_queue ON replies (instance, conversation_id, id, next_attempt_at_ms)
    WHERE status = 'pending';
CREATE INDEX replies_conversation ON replies (instance, conversation_id, id);
CREATE INDEX replies_message ON replies (message_id);

CREATE INDEX dead_letters_open ON dead_letters (id) WHERE replayed_at_ms IS NULL;
CREATE INDEX dead_letters_message ON dead_letters (message_id) WHERE message_id IS NOT NULL;

-- Raise a table's floor when the row deleted held its highest id. The first condition
-- keeps the floor from moving down when a multi-row delete reaches lower ids later.
CREATE TRIGGER messages_id_floor AFTER DELETE ON messages
WHEN old.id >= (SELECT next_id FROM id_floor WHERE name = 'messages')
    AND NOT EXISTS (SELECT 1 FROM messages WHERE id > old.id)
BEGIN
    UPDATE id_floor SET next_id = old.id + 1 WHERE name = 'messages';
END;

CREATE TRIGGER replies_id_floor AFTER DELETE ON replies
WHEN old.id >= (SELECT next_id FROM id_floor WHERE name = 'replies')
    AND NOT EXISTS (SELECT 1 FROM replies WHERE id > old.id)
BEGIN
    UPDATE id_floor SET next_id = old.id + 1 WHERE name = 'replies';
END;

CREATE TRIGGER dead_letters_id_floor AFTER DELETE ON dead_letters
WHEN old.id >= (SELECT next_id FROM id_floor WHERE name = 'dead_letters')
    AND NOT EXISTS (SELECT 1 FROM dead_letters WHERE id > old.id)
BEGIN
    UPDATE id_floor SET next_id = old.id + 1 WHERE name = 'dead_letters';
END;
