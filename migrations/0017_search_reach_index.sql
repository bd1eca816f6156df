-- no-transaction
-- The search's index, keyed by the caller's reach as the token computes it (migration 0016):
-- `ARRAY[customer_id]` for the offerings of the customers he holds a role on, `ARRAY[offering_id]`
-- for the offerings he manages, beside `state` and the trigrams of the search document. An
-- owner's search, `ARRAY[customer_id] && $his_customers AND state = ANY(…) AND search_text LIKE
-- '%term%'`, is then one key of the first column, where 0014's index merged one posting list per
-- offering of his at every step of the scan (50 offerings: a third of the statement).
--
-- It replaces 0014's index (dropped by 0018, once this one is valid): the previous release's
-- search, `ARRAY[offering_id] && $offerings AND …`, is answered by this index's second column
-- meanwhile. Pending list and its limit as 0014 (see there: writes).
CREATE INDEX CONCURRENTLY IF NOT EXISTS offering_users_search_reach_idx ON offering_users
    USING gin ((ARRAY[customer_id]), (ARRAY[offering_id]), state, search_text gin_trgm_ops)
    WITH (fastupdate = on, gin_pending_list_limit = 1024);
