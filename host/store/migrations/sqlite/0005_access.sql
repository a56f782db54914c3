-- Schema version 5: who may talk to the agent.
--
-- `pairing` holds the one-time codes handed to unknown senders: one row per
-- (instance, sender) until it expires, is approved (the row moves to
-- `access_grants`) or denied (kept as 'denied' until it expires, so the sender does
-- not get a fresh code at once). `access_grants` holds the senders an operator
-- approved; `switchboard pairing revoke` removes them.

CREATE TABLE pairing (
    instance       TEXT    NOT NULL,
    sender_id      TEXT    NOT NULL,
    sender_name    TEXT,
    code           TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'denied')),
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (instance, sender_id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX pairing_code ON pairing (instance, code);

CREATE TABLE access_grants (
    instance       TEXT    NOT NULL,
    sender_id      TEXT    NOT NULL,
    sender_name    TEXT,
    granted_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (instance, sender_id)
) WITHOUT ROWID;
