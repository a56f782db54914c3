-- Schema version 3: what each instance's key-value state takes, kept as it changes.
--
-- A channel's state is capped per instance (keys and bytes). Checking a write against
-- the cap must not scan the instance's state, so the totals live in their own row and
-- the triggers below keep them exact whoever writes (the daemon, `state clear`). A
-- key's bytes are its key and value lengths.

CREATE TABLE state_usage (
    instance TEXT    PRIMARY KEY,
    keys     INTEGER NOT NULL,
    bytes    INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO state_usage (instance, keys, bytes)
SELECT instance, count(*), coalesce(sum(length(key) + length(value)), 0)
FROM state GROUP BY instance;

CREATE TRIGGER state_usage_insert AFTER INSERT ON state
BEGIN
    INSERT INTO state_usage (instance, keys, bytes)
    VALUES (new.instance, 1, length(new.key) + length(new.value))
    ON CONFLICT (instance) DO UPDATE
        SET keys = keys + 1, bytes = bytes + length(new.key) + length(new.value);
END;

CREATE TRIGGER state_usage_update AFTER UPDATE OF value ON state
BEGIN
    UPDATE state_usage SET bytes = bytes - length(old.value) + length(new.value)
    WHERE instance = new.instance;
END;

CREATE TRIGGER state_usage_delete AFTER DELETE ON state
BEGIN
    UPDATE state_usage
        SET keys = keys - 1, bytes = bytes - length(old.key) - length(old.value)
    WHERE instance = old.instance;
    DELETE FROM state_usage WHERE instance = old.instance AND keys = 0;
END;
