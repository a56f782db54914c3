-- Schema version 6: attachments in and out, and messages the agent writes first.
--
-- `attachments` holds one row per attachment of a stored message, written in the
-- message's own commit, so the download queue is as durable as the message. Its
-- content lives in the blob store (files named by sha256 under `data_dir/blobs/`);
-- `blobs` records each stored file so a prune can find the ones nothing refers to.
--
-- Replies gain a thread and attachments (blobs by sha256, in `reply_attachments`).
-- A reply with no `message_id` is one the agent sends first (`POST /v1/messages`,
-- `switchboard send`); `api_key` is the client's `Idempotency-Key` for such a send.

CREATE TABLE attachments (
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    mime_type    TEXT,
    -- What the platform said; `stored_size` is what was downloaded.
    size         INTEGER,
    file_name    TEXT,
    caption      TEXT,
    reference    TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'stored', 'too_large', 'failed')),
    sha256       TEXT,
    stored_size  INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at_ms   INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;

CREATE INDEX attachments_due ON attachments (next_at_ms, message_id) WHERE state = 'pending';
CREATE INDEX attachments_blob ON attachments (sha256) WHERE sha256 IS NOT NULL;

CREATE TABLE blobs (
    sha256         TEXT    PRIMARY KEY,
    size           INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL
) WITHOUT ROWID;

ALTER TABLE replies ADD COLUMN thread_id TEXT;
ALTER TABLE replies ADD COLUMN api_key TEXT;
CREATE UNIQUE INDEX replies_api_key ON replies (instance, api_key) WHERE api_key IS NOT NULL;

CREATE TABLE reply_attachments (
    reply_id   INTEGER NOT NULL REFERENCES replies (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    mime_type  TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    file_name  TEXT,
    caption    TEXT,
    sha256     TEXT    NOT NULL,
    PRIMARY KEY (reply_id, position)
) WITHOUT ROWID;

CREATE INDEX reply_attachments_blob ON reply_attachments (sha256);

-- A download that failed for good is kept as an `attachment` dead letter (the payload
-- is the attachment as JSON), so `switchboard replay` can fetch it again. SQLite
-- cannot change a CHECK constraint in place, so the table is rebuilt with its rows,
-- ids, indexes and id-floor trigger.
ALTER TABLE dead_letters RENAME TO dead_letters_v5;

CREATE TABLE dead_letters (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL
                   CHECK (kind IN ('delivery', 'reply', 'hook', 'agent', 'attachment')),
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
SELECT id, kind, instance, message_id, reply_id, created_at_ms, error, payload, replayed_at_ms
FROM dead_letters_v5 ORDER BY id;

DROP TABLE dead_letters_v5;

CREATE INDEX dead_letters_open ON dead_letters (id) WHERE replayed_at_ms IS NULL;
CREATE INDEX dead_letters_message ON dead_letters (message_id) WHERE message_id IS NOT NULL;

CREATE TRIGGER dead_letters_id_floor AFTER DELETE ON dead_letters
WHEN old.id >= (SELECT next_id FROM id_floor WHERE name = 'dead_letters')
    AND NOT EXISTS (SELECT 1 FROM dead_letters WHERE id > old.id)
BEGIN
    UPDATE id_floor SET next_id = old.id + 1 WHERE name = 'dead_letters';
END;
