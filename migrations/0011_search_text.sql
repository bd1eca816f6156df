-- no-transaction
-- The search document of an offering user (`?query=`, docs/spec/offering-users.md §5 and
-- docs/spec/offering-users-2026.md §5 F11): every text the search looks in, lower-cased, in one
-- column of the row, so that one trigram index (migration 0014, with the offering and the
-- state beside the trigrams) finds exactly the rows that match for a caller, instead of a
-- bitmap AND of his whole reach with every match in the table.
--
-- The document holds, in this order and separated by U+001F (a character no name holds in
-- practice; a search term that contains it is answered field by field instead, so a match
-- never spans two fields): the offering user's username, the user's username, first and last
-- name, the offering's name, and the decimal text of `backend_metadata->>'uidnumber'` and
-- `->>'primarygroup'` (the POSIX UID and primary GID). NULLs are left out.
--
-- Kept right by triggers, whoever writes:
-- * a new offering user, or one whose username, backend_metadata, user or offering changes
--   (the API's PATCH, `set_posix_attributes`, the import), computes its document in a
--   BEFORE trigger, reading the user and the offering as they are when the row is locked;
-- * a user whose username or names change, or an offering renamed, sets the document of its
--   offering users to NULL, which the same BEFORE trigger recomputes: one statement over the
--   offering users of that user or offering (at most one per offering, or the offering's
--   users), in the writer's transaction, with no background work.
-- Recomputing under the row lock from a fresh snapshot (a plpgsql statement in READ
-- COMMITTED takes one) keeps two concurrent renames, of a user and of an offering, from
-- leaving the older name in the row both touch: whichever locks the row last reads both.
--
-- One file without a transaction, so that the fill of the existing rows commits batch by
-- batch (a single UPDATE of every row would hold the row locks of the whole table until the
-- end, and the previous release's writes would wait for it): the schema changes first, in a
-- transaction of their own with a short lock_timeout (the runner retries the file on a lock
-- timeout), then batches of 20,000 rows by id, each committed. Every step can run again: a
-- run cut short is resumed by the next (only rows whose document is still NULL are filled).
-- The index comes in 0014 (CREATE INDEX CONCURRENTLY needs a file of its own).

DO $migration$
DECLARE
    batch_size constant bigint := 20000;
    next_id bigint;
    last_id bigint;
BEGIN
    SET LOCAL lock_timeout = '5s';

    -- `state` beside the trigrams in one GIN index (0014).
    CREATE EXTENSION IF NOT EXISTS btree_gin;

    ALTER TABLE offering_users ADD COLUMN IF NOT EXISTS search_text text;

    CREATE OR REPLACE FUNCTION offering_user_search_text(
        offering_username text, backend_metadata jsonb, user_username text, first_name text, last_name text,
        offering_name text
    ) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT lower(concat_ws(E'\x1f', offering_username, user_username, first_name, last_name, offering_name,
                               backend_metadata ->> 'uidnumber', backend_metadata ->> 'primarygroup'))
    $fn$;

    -- The row's document from its user and offering as they are now.
    CREATE OR REPLACE FUNCTION offering_users_search_text_compute() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        SELECT offering_user_search_text(NEW.username, NEW.backend_metadata, u.username, u.first_name, u.last_name,
                                         o.name)
          INTO NEW.search_text
          FROM users u, offerings o
         WHERE u.id = NEW.user_id AND o.id = NEW.offering_id;
        RETURN NEW;
    END $fn$;
    CREATE OR REPLACE TRIGGER offering_users_search_text_on_insert BEFORE INSERT ON offering_users
        FOR EACH ROW EXECUTE FUNCTION offering_users_search_text_compute();
    -- A state change (every agent's transition) leaves the document alone and calls nothing.
    CREATE OR REPLACE TRIGGER offering_users_search_text_on_update BEFORE UPDATE ON offering_users
        FOR EACH ROW
        WHEN (NEW.search_text IS NULL
              OR NEW.username IS DISTINCT FROM OLD.username
              OR NEW.backend_metadata IS DISTINCT FROM OLD.backend_metadata
              OR NEW.user_id <> OLD.user_id
              OR NEW.offering_id <> OLD.offering_id)
        EXECUTE FUNCTION offering_users_search_text_compute();

    CREATE OR REPLACE FUNCTION users_search_text_propagate() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        UPDATE offering_users SET search_text = NULL WHERE user_id = NEW.id;
        RETURN NULL;
    END $fn$;
    CREATE OR REPLACE TRIGGER users_search_text_propagate AFTER UPDATE OF username, first_name, last_name ON users
        FOR EACH ROW
        WHEN ((NEW.username, NEW.first_name, NEW.last_name) IS DISTINCT FROM (OLD.username, OLD.first_name, OLD.last_name))
        EXECUTE FUNCTION users_search_text_propagate();

    CREATE OR REPLACE FUNCTION offerings_search_text_propagate() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        UPDATE offering_users SET search_text = NULL WHERE offering_id = NEW.id;
        RETURN NULL;
    END $fn$;
    CREATE OR REPLACE TRIGGER offerings_search_text_propagate AFTER UPDATE OF name ON offerings
        FOR EACH ROW
        WHEN (NEW.name IS DISTINCT FROM OLD.name)
        EXECUTE FUNCTION offerings_search_text_propagate();

    COMMIT;

    -- The rows that existed before the triggers: set-based, batch by batch. A row a trigger
    -- filled meanwhile is skipped (its document is no longer NULL when the batch reaches it).
    SELECT min(id), max(id) INTO next_id, last_id FROM offering_users WHERE search_text IS NULL;
    WHILE next_id <= last_id LOOP
        UPDATE offering_users ou
           SET search_text = offering_user_search_text(ou.username, ou.backend_metadata, u.username, u.first_name,
                                                       u.last_name, o.name)
          FROM users u, offerings o
         WHERE u.id = ou.user_id AND o.id = ou.offering_id
           AND ou.id >= next_id AND ou.id < next_id + batch_size
           AND ou.search_text IS NULL;
        COMMIT;
        next_id := next_id + batch_size;
    END LOOP;
END
$migration$;
