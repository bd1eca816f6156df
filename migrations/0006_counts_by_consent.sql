-- The counters of 0003 also split by the consent flag of 0005, so that a provider's count
-- under the consent gate (an agent polling its offering) is a sum of counters too.

ALTER TABLE offering_user_counts ADD COLUMN consented boolean NOT NULL DEFAULT false;
ALTER TABLE offering_user_counts DROP CONSTRAINT offering_user_counts_pkey;
TRUNCATE offering_user_counts;
ALTER TABLE offering_user_counts
    ADD CONSTRAINT offering_user_counts_pkey PRIMARY KEY (offering_id, state, is_restricted, consented);
INSERT INTO offering_user_counts (offering_id, state, is_restricted, consented, n)
SELECT offering_id, state, is_restricted, consented, count(*) FROM offering_users GROUP BY 1, 2, 3, 4;

CREATE OR REPLACE FUNCTION offering_user_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One net delta per group; groups whose count does not change (a username edit) are
    -- not touched, so they take no row lock.
    INSERT INTO offering_user_counts AS c (offering_id, state, is_restricted, consented, n)
    SELECT offering_id, state, is_restricted, consented, sum(delta)
    FROM (
        SELECT offering_id, state, is_restricted, consented, 1 AS delta FROM new_rows
        UNION ALL
        SELECT offering_id, state, is_restricted, consented, -1 AS delta FROM old_rows
    ) changes
    GROUP BY offering_id, state, is_restricted, consented
    HAVING sum(delta) <> 0
    -- A stable order, so that concurrent statements lock counters in the same order.
    ORDER BY offering_id, state, is_restricted, consented
    ON CONFLICT (offering_id, state, is_restricted, consented) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION offering_user_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO offering_user_counts AS c (offering_id, state, is_restricted, consented, n)
    SELECT offering_id, state, is_restricted, consented, count(*) FROM new_rows
    GROUP BY offering_id, state, is_restricted, consented
    ORDER BY offering_id, state, is_restricted, consented
    ON CONFLICT (offering_id, state, is_restricted, consented) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION offering_user_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Rows removed by a cascading offering delete take their counters with them.
    INSERT INTO offering_user_counts AS c (offering_id, state, is_restricted, consented, n)
    SELECT d.offering_id, d.state, d.is_restricted, d.consented, -count(*) FROM old_rows d
    WHERE EXISTS (SELECT 1 FROM offerings o WHERE o.id = d.offering_id)
    GROUP BY d.offering_id, d.state, d.is_restricted, d.consented
    ORDER BY d.offering_id, d.state, d.is_restricted, d.consented
    ON CONFLICT (offering_id, state, is_restricted, consented) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;
