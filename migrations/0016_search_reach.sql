-- no-transaction
-- The offering's customer on each offering user (`customer_id`), for the search's index
-- (migration 0017): an owner's search then asks the index for his customer, one key, instead
-- of each of his offerings, one key per offering (docs/query-plans.md, "S3 by the caller's
-- customers"). An offering's customer is the provider that owns it; nothing else reads this
-- column, and the visibility of a record is still decided by its offering (`offering_id`).
--
-- Kept right by the search document's triggers (migration 0011), whoever writes:
-- * a new offering user, or one whose offering changes, takes its offering's customer in the
--   BEFORE trigger that computes its document;
-- * an offering moved to another customer sets the document of its offering users to NULL,
--   as a rename does, and the same trigger recomputes both, in the writer's transaction.
--
-- As 0011, without a transaction: the schema change first (a short lock_timeout), then the
-- existing rows batch by batch (20,000 by id, each committed), resumable by a later run.

DO $migration$
DECLARE
    batch_size constant bigint := 20000;
    next_id bigint;
    last_id bigint;
BEGIN
    SET LOCAL lock_timeout = '5s';

    ALTER TABLE offering_users ADD COLUMN IF NOT EXISTS customer_id bigint;

    -- The row's document and customer from its user and offering as they are now.
    CREATE OR REPLACE FUNCTION offering_users_search_text_compute() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        SELECT offering_user_search_text(NEW.username, NEW.backend_metadata, u.username, u.first_name, u.last_name,
                                         o.name),
               o.customer_id
          INTO NEW.search_text, NEW.customer_id
          FROM users u, offerings o
         WHERE u.id = NEW.user_id AND o.id = NEW.offering_id;
        RETURN NEW;
    END $fn$;
    -- As 0011's, and for a row the fill below has not reached yet.
    CREATE OR REPLACE TRIGGER offering_users_search_text_on_update BEFORE UPDATE ON offering_users
        FOR EACH ROW
        WHEN (NEW.search_text IS NULL
              OR NEW.customer_id IS NULL
              OR NEW.username IS DISTINCT FROM OLD.username
              OR NEW.backend_metadata IS DISTINCT FROM OLD.backend_metadata
              OR NEW.user_id <> OLD.user_id
              OR NEW.offering_id <> OLD.offering_id)
        EXECUTE FUNCTION offering_users_search_text_compute();

    -- An offering renamed or moved to another customer: its offering users are recomputed.
    CREATE OR REPLACE TRIGGER offerings_search_text_propagate AFTER UPDATE OF name, customer_id ON offerings
        FOR EACH ROW
        WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.customer_id IS DISTINCT FROM OLD.customer_id)
        EXECUTE FUNCTION offerings_search_text_propagate();

    COMMIT;

    -- The rows written before the trigger took the customer: set-based, batch by batch. The
    -- BEFORE trigger stays out of it (the document is set and only the customer changes).
    SELECT min(id), max(id) INTO next_id, last_id FROM offering_users WHERE customer_id IS NULL;
    WHILE next_id <= last_id LOOP
        UPDATE offering_users ou
           SET customer_id = o.customer_id
          FROM offerings o
         WHERE o.id = ou.offering_id
           AND ou.id >= next_id AND ou.id < next_id + batch_size
           AND ou.customer_id IS NULL;
        COMMIT;
        next_id := next_id + batch_size;
    END LOOP;
END
$migration$;
