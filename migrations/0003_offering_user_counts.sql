-- Exact row counts per (offering, state, restriction), kept by statement-level triggers, so
-- that a staff list's X-Result-Count over a million rows is a sum over a few hundred
-- counters instead of a scan. Statement-level triggers with transition tables turn a bulk
-- import into one counter update per group rather than one per row.

CREATE TABLE offering_user_counts (
    offering_id    bigint   NOT NULL CONSTRAINT offering_user_counts_offering_fkey
                            REFERENCES offerings (id) ON DELETE CASCADE,
    state          smallint NOT NULL,
    is_restricted  boolean  NOT NULL,
    n              bigint   NOT NULL,
    CONSTRAINT offering_user_counts_pkey PRIMARY KEY (offering_id, state, is_restricted)
);

CREATE FUNCTION offering_user_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One net delta per group; groups whose count does not change (a username edit) are
    -- not touched, so they take no row lock.
    INSERT INTO offering_user_counts AS c (offering_id, state, is_restricted, n)
    SELECT offering_id, state, is_restricted, sum(delta)
    FROM (
        SELECT offering_id, state, is_restricted, 1 AS delta FROM new_rows
        UNION ALL
        SELECT offering_id, state, is_restricted, -1 AS delta FROM old_rows
    ) changes
    GROUP BY offering_id, state, is_restricted
    HAVING sum(delta) <> 0
    -- A stable order, so that concurrent statements lock counters in the same order.
    ORDER BY offering_id, state, is_restricted
    ON CONFLICT (offering_id, state, is_restricted) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

-- Inserts and deletes see only one transition table; give the other side an empty one.
CREATE FUNCTION offering_user_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO offering_user_counts AS c (offering_id, state, is_restricted, n)
    SELECT offering_id, state, is_restricted, count(*) FROM new_rows
    GROUP BY offering_id, state, is_restricted ORDER BY offering_id, state, is_restricted
    ON CONFLICT (offering_id, state, is_restricted) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION offering_user_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Rows removed by a cascading offering delete take their counters with them.
    INSERT INTO offering_user_counts AS c (offering_id, state, is_restricted, n)
    SELECT d.offering_id, d.state, d.is_restricted, -count(*) FROM old_rows d
    WHERE EXISTS (SELECT 1 FROM offerings o WHERE o.id = d.offering_id)
    GROUP BY d.offering_id, d.state, d.is_restricted ORDER BY d.offering_id, d.state, d.is_restricted
    ON CONFLICT (offering_id, state, is_restricted) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE TRIGGER offering_user_counts_on_insert AFTER INSERT ON offering_users
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION offering_user_counts_insert();
CREATE TRIGGER offering_user_counts_on_update AFTER UPDATE ON offering_users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION offering_user_counts_apply();
CREATE TRIGGER offering_user_counts_on_delete AFTER DELETE ON offering_users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION offering_user_counts_delete();

-- Rows that exist already.
INSERT INTO offering_user_counts (offering_id, state, is_restricted, n)
SELECT offering_id, state, is_restricted, count(*) FROM offering_users GROUP BY 1, 2, 3;
