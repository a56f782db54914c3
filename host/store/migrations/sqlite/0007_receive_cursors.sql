-- Schema version 7: where each instance that receives by polling or over a session
-- has read up to.
--
-- An instance that receives by polling or over a WebSocket session (contract 0.2.2,
-- `polling.poll`, `session.on-frame`) keeps the cursor its channel returned. It is
-- written in the same commit as the messages and dead letters that came with it, so
-- after a crash the platform is asked again from the last committed cursor, and
-- deduplication stores a batch fetched twice once.

CREATE TABLE receive_cursors (
    instance      TEXT    NOT NULL PRIMARY KEY,
    cursor        TEXT    NOT NULL,
    updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
