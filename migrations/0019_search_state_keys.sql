-- no-transaction
-- The search's index with the state folded into the reach's keys. Each record carries two keys
-- per column: `customer_id * 16` (the customer, any state) and `customer_id * 16 + state` (the
-- customer, this state; states are 1–10), and the same for its offering. An owner's search
-- with a state filter, `ARRAY[customer_id * 16, customer_id * 16 + state] && $keys AND
-- search_text LIKE '%term%'`, then intersects one posting list of his customer in that state
-- (175k rows of his 250k at 1M) with the term's, where 0017's index intersected three: his
-- customer's (250k), the state's (every OK record of the table, 700k) and the term's. The index
-- scan of the benchmark's S3 reads 57 pages instead of 123 and takes 6 ms instead of 10; a
-- search without a state filter asks for the `* 16` keys and costs what it did.
--
-- It replaces 0017's index (dropped by 0020, once this one is valid): the previous release's
-- search, `ARRAY[customer_id] && $customers AND state = ANY(…) AND …`, is answered by this
-- index's trigram column meanwhile (slower, the same rows). Pending list and its limit as 0014
-- (see there: writes).
CREATE INDEX CONCURRENTLY IF NOT EXISTS offering_users_search_key_idx ON offering_users
    USING gin (
        (ARRAY[customer_id * 16, customer_id * 16 + state]),
        (ARRAY[offering_id * 16, offering_id * 16 + state]),
        search_text gin_trgm_ops
    )
    WITH (fastupdate = on, gin_pending_list_limit = 1024);
