-- no-transaction
-- 0017's search index, replaced by 0019's (which holds its keys with the state folded in): one
-- index less for every write of offering_users to keep. Dropped without blocking reads or
-- writes.
DROP INDEX CONCURRENTLY IF EXISTS offering_users_search_reach_idx;
