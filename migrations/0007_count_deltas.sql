-- Writers append deltas instead of updating the counter rows of 0003/0006 in place.
--
-- Every agent working on one offering moves records between the same few (offering, state)
-- groups, so in-place counters made their transactions queue on the same counter rows, each
-- holding the lock until its commit was flushed (issue 6, S6: most waits were
-- `Lock:transactionid`). Appending a row takes no shared lock. The server folds the deltas
-- into the counters in the background (`offering_user_counts_fold`), and every count reads
-- counters and pending deltas together (`offering_user_totals`), so counts stay exact
-- whether or not a fold has run.

CREATE TABLE offering_user_count_deltas (
    id             bigint   GENERATED ALWAYS AS IDENTITY CONSTRAINT offering_user_count_deltas_pkey PRIMARY KEY,
    offering_id    bigint   NOT NULL CONSTRAINT offering_user_count_deltas_offering_fkey
                            REFERENCES offerings (id) ON DELETE CASCADE,
    state          smallint NOT NULL,
    is_restricted  boolean  NOT NULL,
    consented      boolean  NOT NULL,
    n              bigint   NOT NULL
);
CREATE INDEX offering_user_count_deltas_group_idx
    ON offering_user_count_deltas (offering_id, state, is_restricted, consented);
-- Folding deletes every delta it reads; the dead rows would make every count scan them until
-- a vacuum. The server vacuums after each fold; autovacuum, as a fallback, after 1,000.
ALTER TABLE offering_user_count_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

-- What a count sums: the folded counters and the deltas not folded yet.
CREATE VIEW offering_user_totals AS
    SELECT offering_id, state, is_restricted, consented, n FROM offering_user_counts
    UNION ALL
    SELECT offering_id, state, is_restricted, consented, n FROM offering_user_count_deltas;

CREATE OR REPLACE FUNCTION offering_user_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One net delta per group; a change that moves no record between groups (a username
    -- edit) writes none.
    INSERT INTO offering_user_count_deltas (offering_id, state, is_restricted, consented, n)
    SELECT offering_id, state, is_restricted, consented, sum(delta)
    FROM (
        SELECT offering_id, state, is_restricted, consented, 1 AS delta FROM new_rows
        UNION ALL
        SELECT offering_id, state, is_restricted, consented, -1 AS delta FROM old_rows
    ) changes
    GROUP BY offering_id, state, is_restricted, consented
    HAVING sum(delta) <> 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION offering_user_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO offering_user_count_deltas (offering_id, state, is_restricted, consented, n)
    SELECT offering_id, state, is_restricted, consented, count(*) FROM new_rows
    GROUP BY offering_id, state, is_restricted, consented;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION offering_user_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Rows removed by a cascading offering delete take their counters with them.
    INSERT INTO offering_user_count_deltas (offering_id, state, is_restricted, consented, n)
    SELECT d.offering_id, d.state, d.is_restricted, d.consented, -count(*) FROM old_rows d
    WHERE EXISTS (SELECT 1 FROM offerings o WHERE o.id = d.offering_id)
    GROUP BY d.offering_id, d.state, d.is_restricted, d.consented;
    RETURN NULL;
END $$;

-- Moves the pending deltas into the counters in one transaction, so that a concurrent count
-- sees them on one side or the other, never on both or neither. Concurrent folds (several
-- server replicas) take disjoint rows: a delta deleted by one is skipped by the other.
-- Returns the number of deltas folded.
CREATE FUNCTION offering_user_counts_fold() RETURNS bigint LANGUAGE sql AS $$
    WITH folded AS (
        DELETE FROM offering_user_count_deltas
        RETURNING offering_id, state, is_restricted, consented, n
    ), summed AS (
        SELECT offering_id, state, is_restricted, consented, sum(n)::bigint AS n FROM folded
        GROUP BY offering_id, state, is_restricted, consented
        -- A stable order, so that concurrent folds lock counters in the same order.
        ORDER BY offering_id, state, is_restricted, consented
    ), applied AS (
        INSERT INTO offering_user_counts AS c (offering_id, state, is_restricted, consented, n)
        SELECT offering_id, state, is_restricted, consented, n FROM summed
        ON CONFLICT (offering_id, state, is_restricted, consented) DO UPDATE SET n = c.n + EXCLUDED.n
    )
    SELECT count(*) FROM folded;
$$;

-- The counters as they stood, with nothing pending.
SELECT offering_user_counts_fold();
