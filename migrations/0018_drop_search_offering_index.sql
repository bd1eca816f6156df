-- no-transaction
-- 0014's search index, replaced by 0017's (which also holds its `ARRAY[offering_id]`): one
-- index less for every write of offering_users to keep. Dropped without blocking reads or
-- writes.
DROP INDEX CONCURRENTLY IF EXISTS offering_users_search_idx;
