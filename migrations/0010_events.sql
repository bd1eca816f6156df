-- Events and web hooks (issue 19): the event log reads `audit_events`; an outbox, filled by a
-- trigger in the transaction of every audit insert, feeds the sinks (web hooks now, others
-- later: docs/ARCHITECTURE.md, "Event sinks").
--
-- `audit_events` is large, so it is changed without a rewrite or a scan: nullable columns
-- without a volatile default, then a default for new rows only (stored in the catalogue).
-- Rows written before this migration keep NULLs: their uuid is derived from their id
-- (`store::events`), and with no ids recorded only staff and support see them (README,
-- "Events"). A backfill would rewrite every row under the migration's lock; it is left out.
ALTER TABLE audit_events ADD COLUMN uuid uuid;
ALTER TABLE audit_events ADD COLUMN offering_id bigint;
ALTER TABLE audit_events ADD COLUMN user_id bigint;
ALTER TABLE audit_events ALTER COLUMN uuid SET DEFAULT gen_random_uuid();

-- The consumers of the outbox. A sink that is not enabled gets no outbox rows: the web-hook
-- sink is enabled while an active hook exists (`store::web_hooks` keeps it so, under the
-- row's lock); a sink that must lose nothing (a broker) stays enabled while its process is
-- down, so that its rows wait for it.
CREATE TABLE event_sinks (
    name     varchar(32) CONSTRAINT event_sinks_pkey PRIMARY KEY,
    enabled  boolean     NOT NULL DEFAULT false
);
INSERT INTO event_sinks (name, enabled) VALUES ('web_hooks', false);

-- One row per (sink, event) still to be handled by that sink. Each sink drains its own rows,
-- in order per offering user (event ids of one record grow in commit order: every write
-- holds the record's row lock when it inserts the event), and deletes them when done.
CREATE TABLE event_outbox (
    sink                varchar(32) NOT NULL,
    event_id            bigint      NOT NULL,
    offering_user_uuid  uuid        NOT NULL,
    created             timestamptz NOT NULL,
    CONSTRAINT event_outbox_pkey PRIMARY KEY (sink, event_id)
);
CREATE INDEX event_outbox_record_idx ON event_outbox (sink, offering_user_uuid, event_id);

-- An event exists iff its change committed: the outbox row is written by the statement that
-- writes the audit event, in its transaction. Statement-level, so a bulk import writes its
-- outbox rows in one insert.
CREATE FUNCTION audit_events_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_outbox (sink, event_id, offering_user_uuid, created)
    SELECT s.name, n.id, n.offering_user_uuid, n.created
    FROM new_rows n CROSS JOIN event_sinks s WHERE s.enabled;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_events_to_outbox AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_events_to_outbox();

-- Upstream's `WebHook` (waldur_core.logging), with a signing secret and delivery state.
CREATE TABLE web_hooks (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT web_hooks_pkey PRIMARY KEY,
    uuid             uuid         NOT NULL CONSTRAINT web_hooks_uuid_key UNIQUE,
    user_id          bigint       NOT NULL CONSTRAINT web_hooks_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    created          timestamptz  NOT NULL DEFAULT now(),
    modified         timestamptz  NOT NULL DEFAULT now(),
    is_active        boolean      NOT NULL DEFAULT true,
    event_types      text[]       NOT NULL DEFAULT '{}',
    event_groups     text[]       NOT NULL DEFAULT '{}',
    destination_url  varchar(200) NOT NULL,
    -- 1 json, 2 form (upstream's ContentTypeChoices).
    content_type     smallint     NOT NULL DEFAULT 1 CONSTRAINT web_hooks_content_type_check CHECK (content_type IN (1, 2)),
    -- The HMAC-SHA256 key of the signature header; shown once, on create.
    secret           varchar(64)  NOT NULL,
    -- Delivery state: consecutive failures drive the backoff (`retry_at`).
    failures         integer      NOT NULL DEFAULT 0,
    retry_at         timestamptz,
    attempts         bigint       NOT NULL DEFAULT 0,
    delivered        bigint       NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    last_status      smallint,
    last_error       varchar(500)
);
CREATE INDEX web_hooks_user_idx ON web_hooks (user_id);

-- The web-hook sink's work: one row per (hook, event) not yet delivered. A hook's rows of one
-- offering user go out one at a time, oldest event first; a worker holds a row by a lease
-- (`leased_until`), not by a transaction, while it waits for the receiver.
CREATE TABLE web_hook_deliveries (
    id                  bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT web_hook_deliveries_pkey PRIMARY KEY,
    hook_id             bigint      NOT NULL CONSTRAINT web_hook_deliveries_hook_fkey REFERENCES web_hooks (id) ON DELETE CASCADE,
    event_id            bigint      NOT NULL,
    offering_user_uuid  uuid        NOT NULL,
    event_created       timestamptz NOT NULL,
    attempts            integer     NOT NULL DEFAULT 0,
    leased_until        timestamptz,
    CONSTRAINT web_hook_deliveries_hook_event_key UNIQUE (hook_id, event_id)
);
CREATE INDEX web_hook_deliveries_head_idx ON web_hook_deliveries (hook_id, offering_user_uuid, event_id);
CREATE INDEX web_hook_deliveries_event_idx ON web_hook_deliveries (event_id);
