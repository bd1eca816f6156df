-- The directory (users, organisations, offerings, roles, consents) and the offering users
-- that hang on it. Internal keys are bigint identities; the public identity is `uuid`.

CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT users_pkey PRIMARY KEY,
    uuid            uuid        NOT NULL CONSTRAINT users_uuid_key UNIQUE,
    username        varchar(128) NOT NULL CONSTRAINT users_username_key UNIQUE,
    first_name      varchar(100) NOT NULL DEFAULT '',
    last_name       varchar(100) NOT NULL DEFAULT '',
    email           varchar(320) NOT NULL DEFAULT '',
    is_staff        boolean     NOT NULL DEFAULT false,
    is_support      boolean     NOT NULL DEFAULT false,
    is_active       boolean     NOT NULL DEFAULT true,
    -- Seconds a token stays valid after its last use; NULL = forever (Waldur's `token_lifetime`).
    token_lifetime  integer     CONSTRAINT users_token_lifetime_check CHECK (token_lifetime IS NULL OR token_lifetime > 0)
);

-- One API token per user. Only the SHA-256 of the key is stored.
CREATE TABLE api_tokens (
    user_id     bigint      NOT NULL CONSTRAINT api_tokens_pkey PRIMARY KEY
                            CONSTRAINT api_tokens_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    key_sha256  bytea       NOT NULL CONSTRAINT api_tokens_key_sha256_key UNIQUE,
    -- Start of the sliding lifetime; refreshed on use (at most once a minute).
    created     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
    id            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT customers_pkey PRIMARY KEY,
    uuid          uuid         NOT NULL CONSTRAINT customers_uuid_key UNIQUE,
    name          varchar(150) NOT NULL,
    abbreviation  varchar(12)  NOT NULL DEFAULT ''
);

CREATE TABLE projects (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT projects_pkey PRIMARY KEY,
    uuid         uuid         NOT NULL CONSTRAINT projects_uuid_key UNIQUE,
    name         varchar(500) NOT NULL,
    customer_id  bigint       NOT NULL CONSTRAINT projects_customer_fkey REFERENCES customers (id) ON DELETE CASCADE
);
CREATE INDEX projects_customer_idx ON projects (customer_id);

CREATE TABLE offerings (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT offerings_pkey PRIMARY KEY,
    uuid            uuid         NOT NULL CONSTRAINT offerings_uuid_key UNIQUE,
    name            varchar(150) NOT NULL,
    slug            varchar(150) NOT NULL DEFAULT '',
    type            varchar(100) NOT NULL DEFAULT '',
    customer_id     bigint       NOT NULL CONSTRAINT offerings_customer_fkey REFERENCES customers (id) ON DELETE CASCADE,
    parent_id       bigint       CONSTRAINT offerings_parent_fkey REFERENCES offerings (id) ON DELETE SET NULL,
    plugin_options  jsonb        NOT NULL DEFAULT '{}'::jsonb,
    -- The master switch of offering-users.md §3.2 (a): only JSON `true` counts.
    users_enabled   boolean      GENERATED ALWAYS AS
                    (coalesce(plugin_options -> 'service_provider_can_create_offering_user' = 'true'::jsonb, false)) STORED
);
CREATE INDEX offerings_customer_idx ON offerings (customer_id);
CREATE INDEX offerings_parent_idx ON offerings (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX offerings_slug_idx ON offerings (slug);

-- Role → permission grants, as data (decisions.md item 4). The import may replace a role's list.
CREATE TABLE role_permissions (
    role        varchar(50) NOT NULL,
    permission  varchar(80) NOT NULL,
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role, permission)
);
INSERT INTO role_permissions (role, permission) VALUES
    ('CUSTOMER.OWNER',   'OFFERING.CREATE_USER'),
    ('CUSTOMER.OWNER',   'OFFERING.UPDATE_USER'),
    ('CUSTOMER.OWNER',   'OFFERING.DELETE_USER'),
    ('CUSTOMER.OWNER',   'OFFERINGUSER.UPDATE_RESTRICTION'),
    ('CUSTOMER.MANAGER', 'OFFERINGUSER.UPDATE_RESTRICTION'),
    ('OFFERING.MANAGER', 'OFFERING.UPDATE_USER'),
    ('OFFERING.MANAGER', 'OFFERINGUSER.UPDATE_RESTRICTION');

-- A role a user holds on exactly one scope: a customer, a project or an offering.
CREATE TABLE user_roles (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT user_roles_pkey PRIMARY KEY,
    user_id          bigint      NOT NULL CONSTRAINT user_roles_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    role             varchar(50) NOT NULL CONSTRAINT user_roles_role_check CHECK (role IN (
                         'CUSTOMER.OWNER', 'CUSTOMER.MANAGER', 'CUSTOMER.SUPPORT',
                         'PROJECT.ADMIN', 'PROJECT.MANAGER', 'PROJECT.MEMBER', 'OFFERING.MANAGER')),
    customer_id      bigint      CONSTRAINT user_roles_customer_fkey REFERENCES customers (id) ON DELETE CASCADE,
    project_id       bigint      CONSTRAINT user_roles_project_fkey REFERENCES projects (id) ON DELETE CASCADE,
    offering_id      bigint      CONSTRAINT user_roles_offering_fkey REFERENCES offerings (id) ON DELETE CASCADE,
    is_active        boolean     NOT NULL DEFAULT true,
    expiration_time  timestamptz,
    CONSTRAINT user_roles_scope_check CHECK (
        (role LIKE 'CUSTOMER.%' AND customer_id IS NOT NULL AND project_id IS NULL AND offering_id IS NULL) OR
        (role LIKE 'PROJECT.%'  AND project_id IS NOT NULL AND customer_id IS NULL AND offering_id IS NULL) OR
        (role LIKE 'OFFERING.%' AND offering_id IS NOT NULL AND customer_id IS NULL AND project_id IS NULL)),
    CONSTRAINT user_roles_identity_key UNIQUE NULLS NOT DISTINCT (user_id, role, customer_id, project_id, offering_id)
);
CREATE INDEX user_roles_customer_idx ON user_roles (customer_id, user_id) WHERE customer_id IS NOT NULL;
CREATE INDEX user_roles_project_idx ON user_roles (project_id, user_id) WHERE project_id IS NOT NULL;
CREATE INDEX user_roles_offering_idx ON user_roles (offering_id, user_id) WHERE offering_id IS NOT NULL;

CREATE TABLE terms_of_service (
    id                     bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT terms_of_service_pkey PRIMARY KEY,
    uuid                   uuid        NOT NULL CONSTRAINT terms_of_service_uuid_key UNIQUE,
    offering_id            bigint      NOT NULL CONSTRAINT terms_of_service_offering_fkey REFERENCES offerings (id) ON DELETE CASCADE,
    version                varchar(50) NOT NULL DEFAULT '',
    is_active              boolean     NOT NULL DEFAULT false,
    requires_reconsent     boolean     NOT NULL DEFAULT false,
    terms_of_service       text        NOT NULL DEFAULT '',
    terms_of_service_link  varchar(200) NOT NULL DEFAULT '',
    grace_period_days      integer     NOT NULL DEFAULT 60,
    created                timestamptz NOT NULL DEFAULT now(),
    modified               timestamptz NOT NULL DEFAULT now()
);
-- At most one active terms-of-service row per offering.
CREATE UNIQUE INDEX terms_of_service_one_active_key ON terms_of_service (offering_id) WHERE is_active;

CREATE TABLE consents (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT consents_pkey PRIMARY KEY,
    uuid             uuid        NOT NULL CONSTRAINT consents_uuid_key UNIQUE,
    user_id          bigint      NOT NULL CONSTRAINT consents_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    offering_id      bigint      NOT NULL CONSTRAINT consents_offering_fkey REFERENCES offerings (id) ON DELETE CASCADE,
    version          varchar(50) NOT NULL DEFAULT '',
    agreement_date   timestamptz NOT NULL DEFAULT now(),
    revocation_date  timestamptz,
    CONSTRAINT consents_user_offering_key UNIQUE (user_id, offering_id)
);

CREATE TABLE offering_users (
    id                            bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT offering_users_pkey PRIMARY KEY,
    uuid                          uuid         NOT NULL CONSTRAINT offering_users_uuid_key UNIQUE,
    created                       timestamptz  NOT NULL DEFAULT now(),
    modified                      timestamptz  NOT NULL DEFAULT now(),
    offering_id                   bigint       NOT NULL CONSTRAINT offering_users_offering_fkey REFERENCES offerings (id) ON DELETE CASCADE,
    user_id                       bigint       NOT NULL CONSTRAINT offering_users_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    username                      varchar(100),
    is_restricted                 boolean      NOT NULL DEFAULT false,
    -- 1 Requested … 10 Error deleting (offering-users.md §2.1).
    state                         smallint     NOT NULL DEFAULT 1 CONSTRAINT offering_users_state_check CHECK (state BETWEEN 1 AND 10),
    service_provider_comment      text         NOT NULL DEFAULT '',
    service_provider_comment_url  varchar(200) NOT NULL DEFAULT '',
    backend_metadata              jsonb        NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT offering_user_offering_user_key UNIQUE (offering_id, user_id)
);
-- The default order (username NULLS LAST, created, uuid), per offering and overall.
CREATE INDEX offering_users_offering_order_idx ON offering_users (offering_id, username, created, uuid);
CREATE INDEX offering_users_order_idx ON offering_users (username, created, uuid);
CREATE INDEX offering_users_user_idx ON offering_users (user_id);

-- Every change through the API, written in the same transaction as the change.
CREATE TABLE audit_events (
    id                  bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT audit_events_pkey PRIMARY KEY,
    created             timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id            bigint      CONSTRAINT audit_events_actor_fkey REFERENCES users (id) ON DELETE SET NULL,
    offering_user_uuid  uuid        NOT NULL,
    action              varchar(64) NOT NULL,
    old_values          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    new_values          jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_record_idx ON audit_events (offering_user_uuid, id);
