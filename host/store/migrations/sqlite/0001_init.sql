-- Schema version 1.
--
-- Ids of messages and replies appear in idempotency keys sent to platforms and in
-- history cursors, so they must never be reused after a prune: hence AUTOINCREMENT.
-- Every "*_ms" column is Unix time in milliseconds.

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
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

-- The work queues stay small while the table grows, so they get partial indexes.
CREATE INDEX messages_hook_queue ON messages (id, hook_next_at_ms)
    WHERE hook_state = 'pending';
CREATE INDEX messages_agent_queue ON messages (instance, conversation_id, id, agent_next_at_ms)
    WHERE agent_state = 'pending';
CREATE INDEX messages_agent_due ON messages (id, agent_next_at_ms)
    WHERE agent_state = 'pending';
CREATE INDEX messages_conversation ON messages (instance, conversation_id, id);
CREATE INDEX messages_received ON messages (received_at_ms);

CREATE TABLE replies (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
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

CREATE INDEX replies_queue ON replies (instance, conversation_id, id, next_attempt_at_ms)
    WHERE status = 'pending';
CREATE INDEX replies_due ON replies (id, next_attempt_at_ms)
    WHERE status = 'pending';
CREATE INDEX replies_conversation ON replies (instance, conversation_id, id);
CREATE INDEX replies_message ON replies (message_id);

CREATE TABLE dead_letters (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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

CREATE INDEX dead_letters_open ON dead_letters (id) WHERE replayed_at_ms IS NULL;
CREATE INDEX dead_letters_message ON dead_letters (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE state (
    instance      TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    value         BLOB    NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (instance, key)
) WITHOUT ROWID;
