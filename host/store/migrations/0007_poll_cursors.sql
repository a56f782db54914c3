-- Schema version 7: where each polling instance has read up to.
--
-- An instance that receives by polling (contract 0.2.2, `polling.poll`) keeps the
-- cursor its channel returned. It is written in the same commit as the messages and
-- dead letters of the poll that returned it, so after a crash the next poll asks again
-- for at most the batch that was not committed, and deduplication stores it once.

CREATE TABLE poll_cursors (
    instance      TEXT    NOT NULL PRIMARY KEY,
    cursor        TEXT    NOT NULL,
    updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
