-- Indexes behind the list filters that 0001 does not cover.

-- `query` is a case-insensitive substring search: trigram indexes answer ILIKE '%…%'.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX offering_users_username_trgm_idx ON offering_users USING gin (username gin_trgm_ops);
CREATE INDEX users_first_name_trgm_idx ON users USING gin (first_name gin_trgm_ops);
CREATE INDEX users_last_name_trgm_idx ON users USING gin (last_name gin_trgm_ops);
CREATE INDEX offerings_name_trgm_idx ON offerings USING gin (name gin_trgm_ops);

-- `user_username` matches case-insensitively.
CREATE INDEX users_username_lower_idx ON users (lower(username));

-- `created` / `modified` are "after" filters.
CREATE INDEX offering_users_created_idx ON offering_users (created);
CREATE INDEX offering_users_modified_idx ON offering_users (modified);

-- `username` (exact) and `state` alone.
CREATE INDEX offering_users_state_idx ON offering_users (state);
