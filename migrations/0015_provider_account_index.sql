-- no-transaction
-- The offering users backed by each service-provider account (the `is_provider_backed` and
-- `service_provider_account_uuid` filters, docs/spec/offering-users-2026.md §5), built without
-- blocking writes. Few rows are backed, so the index holds only those.
CREATE INDEX CONCURRENTLY IF NOT EXISTS offering_users_service_provider_account_idx
    ON offering_users (service_provider_account_id) WHERE service_provider_account_id IS NOT NULL;
