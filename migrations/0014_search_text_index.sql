-- no-transaction
-- The search's one index (see 0011): the record's offering (as a one-element array) and its
-- state (`btree_gin`) beside the trigrams of the search document, so that a caller's search,
-- `ARRAY[offering_id] && $his_offerings AND state = ANY(…) AND search_text LIKE '%term%'`, is
-- answered in one scan of this index, and the heap is read only for the rows that match for
-- him: the cost follows his matches, not the table. (Indexed as `offering_id` itself, the
-- condition `offering_id = ANY($his_offerings)` would scan the index once per offering.)
--
-- Every new row version of offering_users adds its trigrams here (a state change too: no
-- update of this table is HOT, `state` and `modified` are indexed). The pending list
-- (`fastupdate`, on by default) takes them in one append and merges them in bulk, which keeps
-- writes close to their cost without this index; inserted one by one (`fastupdate = off`)
-- they halved the agents' transitions per second. A search reads the pending list on each
-- scan, so it is kept short: 1 MB instead of the default 4 MB.
CREATE INDEX CONCURRENTLY IF NOT EXISTS offering_users_search_idx ON offering_users
    USING gin ((ARRAY[offering_id]), state, search_text gin_trgm_ops)
    WITH (fastupdate = on, gin_pending_list_limit = 1024);
