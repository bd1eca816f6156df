-- The data behind the 2026 contract (docs/spec/offering-users-2026.md): the user profile
-- attributes an offering may expose, the offering's exposure config, the runtime state, accounts
-- backed by a service provider's account, and the POSIX ID pools, their ledger and groups.
--
-- Every column added to an existing table is nullable or has a constant default (stored once in
-- the catalogue, no rewrite); constraints on existing tables are added NOT VALID and validated in
-- a later statement (README, "Rolling upgrades").

-- The user profile attributes (§4.1, §4.2): blank strings and empty lists when unset, NULL for the
-- attributes whose absence is NULL upstream.
ALTER TABLE users
    ADD COLUMN phone_number                text    NOT NULL DEFAULT '',
    ADD COLUMN organization                text    NOT NULL DEFAULT '',
    ADD COLUMN job_title                   text    NOT NULL DEFAULT '',
    ADD COLUMN affiliations                jsonb   NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN gender                      text,
    ADD COLUMN personal_title              text    NOT NULL DEFAULT '',
    ADD COLUMN place_of_birth              text    NOT NULL DEFAULT '',
    ADD COLUMN address                     text    NOT NULL DEFAULT '',
    ADD COLUMN country_of_residence        text    NOT NULL DEFAULT '',
    ADD COLUMN nationality                 text    NOT NULL DEFAULT '',
    ADD COLUMN nationalities               jsonb   NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN organization_country        text    NOT NULL DEFAULT '',
    ADD COLUMN organization_type           text    NOT NULL DEFAULT '',
    ADD COLUMN organization_registry_code  text    NOT NULL DEFAULT '',
    ADD COLUMN organization_vat_code       text    NOT NULL DEFAULT '',
    ADD COLUMN organization_address        text    NOT NULL DEFAULT '',
    ADD COLUMN eduperson_assurance         jsonb   NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN civil_number                text,
    ADD COLUMN birth_date                  date,
    ADD COLUMN identity_source             text    NOT NULL DEFAULT '',
    ADD COLUMN registration_method         text    NOT NULL DEFAULT 'default',
    ADD COLUMN uid_number                  bigint,
    ADD COLUMN primary_gid                 bigint,
    ADD COLUMN active_isds                 jsonb   NOT NULL DEFAULT '[]'::jsonb;

-- An offering's explicit exposure config (§4.3): the attributes it exposes, in the canonical
-- order; NULL = no explicit config (DEFAULT_OFFERING_USER_ATTRIBUTES applies).
ALTER TABLE offerings ADD COLUMN exposed_user_attributes text[];

-- The attributes of `attributes` whose value on the user `u` is empty, in the order given
-- (§4.5): the definition of "empty" that the completeness gate and the `has_complete_profile`
-- filter share (the representation decides it from the row it read; tests/api/completeness.rs
-- holds the two to each other). `full_name` is empty only when both name parts are;
-- `username` and `registration_method` never are; strings are compared without trimming.
-- PL/pgSQL: a loop over the (few) attributes costs about a third of an unnest and array_agg.
CREATE FUNCTION user_missing_attributes(u users, attributes text[]) RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    a text;
    empty boolean;
    missing text[] := '{}';
BEGIN
    IF attributes IS NULL THEN
        RETURN missing;
    END IF;
    FOREACH a IN ARRAY attributes LOOP
        empty := CASE a
            WHEN 'full_name'                  THEN u.first_name = '' AND u.last_name = ''
            WHEN 'email'                      THEN u.email = ''
            WHEN 'organization'               THEN u.organization = ''
            WHEN 'organization_country'       THEN u.organization_country = ''
            WHEN 'organization_type'          THEN u.organization_type = ''
            WHEN 'organization_registry_code' THEN u.organization_registry_code = ''
            WHEN 'organization_vat_code'      THEN u.organization_vat_code = ''
            WHEN 'organization_address'       THEN u.organization_address = ''
            WHEN 'affiliations'               THEN u.affiliations = '[]'::jsonb
            WHEN 'phone_number'               THEN u.phone_number = ''
            WHEN 'job_title'                  THEN u.job_title = ''
            WHEN 'gender'                     THEN coalesce(u.gender, '') = ''
            WHEN 'personal_title'             THEN u.personal_title = ''
            WHEN 'place_of_birth'             THEN u.place_of_birth = ''
            WHEN 'address'                    THEN u.address = ''
            WHEN 'country_of_residence'       THEN u.country_of_residence = ''
            WHEN 'nationality'                THEN u.nationality = ''
            WHEN 'nationalities'              THEN u.nationalities = '[]'::jsonb
            WHEN 'eduperson_assurance'        THEN u.eduperson_assurance = '[]'::jsonb
            WHEN 'identity_source'            THEN u.identity_source = ''
            WHEN 'civil_number'               THEN coalesce(u.civil_number, '') = ''
            WHEN 'birth_date'                 THEN u.birth_date IS NULL
            WHEN 'active_isds'                THEN u.active_isds = '[]'::jsonb
            WHEN 'uid_number'                 THEN u.uid_number IS NULL
            WHEN 'primary_gid'                THEN u.primary_gid IS NULL
            ELSE false  -- username, registration_method
        END;
        IF empty THEN
            missing := missing || a;
        END IF;
    END LOOP;
    RETURN missing;
END
$$;

-- One account per user at a service provider (a customer), which offering users of that
-- provider's offerings may be backed by (§4.7; read side only).
CREATE TABLE service_provider_accounts (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT service_provider_accounts_pkey PRIMARY KEY,
    uuid         uuid         NOT NULL CONSTRAINT service_provider_accounts_uuid_key UNIQUE,
    user_id      bigint       NOT NULL CONSTRAINT service_provider_accounts_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    customer_id  bigint       NOT NULL CONSTRAINT service_provider_accounts_customer_fkey REFERENCES customers (id) ON DELETE CASCADE,
    username     varchar(100),
    CONSTRAINT service_provider_accounts_user_customer_key UNIQUE (user_id, customer_id)
);
CREATE INDEX service_provider_accounts_customer_idx ON service_provider_accounts (customer_id);

-- The runtime state (§3.1): the wire label itself, independent of the lifecycle state.
ALTER TABLE offering_users
    ADD COLUMN runtime_state varchar(40) NOT NULL DEFAULT 'Active',
    ADD COLUMN service_provider_account_id bigint;
ALTER TABLE offering_users ADD CONSTRAINT offering_users_runtime_state_check
    CHECK (runtime_state IN ('Active', 'Pending account linking', 'Pending additional validation')) NOT VALID;
ALTER TABLE offering_users VALIDATE CONSTRAINT offering_users_runtime_state_check;
ALTER TABLE offering_users ADD CONSTRAINT offering_users_service_provider_account_fkey
    FOREIGN KEY (service_provider_account_id) REFERENCES service_provider_accounts (id) ON DELETE SET NULL NOT VALID;
ALTER TABLE offering_users VALIDATE CONSTRAINT offering_users_service_provider_account_fkey;

-- POSIX ID pools (§7.1): a UID range and/or a GID range (and, for a provider's pool, a range for
-- project-group GIDs), attached to a service provider (a customer: the default pool of all its
-- offerings) or to one offering (an override). `next_*` is the high-water mark.
CREATE TABLE posix_id_pools (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT posix_id_pools_pkey PRIMARY KEY,
    uuid            uuid   NOT NULL CONSTRAINT posix_id_pools_uuid_key UNIQUE,
    customer_id     bigint CONSTRAINT posix_id_pools_customer_fkey REFERENCES customers (id) ON DELETE CASCADE,
    offering_id     bigint CONSTRAINT posix_id_pools_offering_fkey REFERENCES offerings (id) ON DELETE CASCADE,
    description     text   NOT NULL DEFAULT '',
    min_uid         bigint, max_uid        bigint, next_uid       bigint,
    min_gid         bigint, max_gid        bigint, next_gid       bigint,
    min_group_gid   bigint, max_group_gid  bigint, next_group_gid bigint,
    CONSTRAINT posix_id_pools_scope_check CHECK ((customer_id IS NULL) <> (offering_id IS NULL)),
    CONSTRAINT posix_id_pools_customer_key UNIQUE (customer_id),
    CONSTRAINT posix_id_pools_offering_key UNIQUE (offering_id),
    CONSTRAINT posix_id_pools_uid_range_check CHECK ((min_uid IS NULL) = (max_uid IS NULL)
        AND (min_uid IS NULL OR 0 <= min_uid AND min_uid <= max_uid AND max_uid <= 4294967295)),
    CONSTRAINT posix_id_pools_gid_range_check CHECK ((min_gid IS NULL) = (max_gid IS NULL)
        AND (min_gid IS NULL OR 0 <= min_gid AND min_gid <= max_gid AND max_gid <= 4294967295)),
    CONSTRAINT posix_id_pools_group_range_check CHECK ((min_group_gid IS NULL) = (max_group_gid IS NULL)
        AND (min_group_gid IS NULL OR customer_id IS NOT NULL
             AND 0 <= min_group_gid AND min_group_gid <= max_group_gid AND max_group_gid <= 4294967295)),
    CONSTRAINT posix_id_pools_manages_something_check CHECK (min_uid IS NOT NULL OR min_gid IS NOT NULL)
);

-- Project groups (§7.3): an offering's group mapped to several projects (`project_group`), or a
-- provider's group of one project (`provider_project_group`).
CREATE TABLE posix_groups (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT posix_groups_pkey PRIMARY KEY,
    uuid         uuid        NOT NULL CONSTRAINT posix_groups_uuid_key UNIQUE,
    kind         varchar(30) NOT NULL CONSTRAINT posix_groups_kind_check
                     CHECK (kind IN ('project_group', 'provider_project_group')),
    offering_id  bigint      CONSTRAINT posix_groups_offering_fkey REFERENCES offerings (id) ON DELETE CASCADE,
    customer_id  bigint      CONSTRAINT posix_groups_customer_fkey REFERENCES customers (id) ON DELETE CASCADE,
    project_id   bigint      CONSTRAINT posix_groups_project_fkey REFERENCES projects (id) ON DELETE SET NULL,
    name         varchar(32),
    gid          bigint      CONSTRAINT posix_groups_gid_check CHECK (gid BETWEEN 0 AND 4294967295),
    CONSTRAINT posix_groups_scope_check CHECK (
        (kind = 'project_group' AND offering_id IS NOT NULL AND customer_id IS NULL) OR
        (kind = 'provider_project_group' AND customer_id IS NOT NULL AND offering_id IS NULL AND name IS NOT NULL))
);
CREATE INDEX posix_groups_offering_idx ON posix_groups (offering_id) WHERE offering_id IS NOT NULL;
CREATE INDEX posix_groups_customer_idx ON posix_groups (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX posix_groups_project_idx ON posix_groups (project_id) WHERE project_id IS NOT NULL;
-- A provider's group names are unique ignoring case (§9).
CREATE UNIQUE INDEX posix_groups_customer_name_key ON posix_groups (customer_id, lower(name))
    WHERE kind = 'provider_project_group';

CREATE TABLE posix_group_projects (
    group_id    bigint NOT NULL CONSTRAINT posix_group_projects_group_fkey REFERENCES posix_groups (id) ON DELETE CASCADE,
    project_id  bigint NOT NULL CONSTRAINT posix_group_projects_project_fkey REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT posix_group_projects_pkey PRIMARY KEY (group_id, project_id)
);
CREATE INDEX posix_group_projects_project_idx ON posix_group_projects (project_id);

-- The ledger (§7.1): who holds which UID/GID in a pool. A user's identity (one active per pool
-- and user: his UID and primary GID) or a group's GID; an active value is unique in its pool.
CREATE TABLE posix_identities (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT posix_identities_pkey PRIMARY KEY,
    uuid         uuid        NOT NULL CONSTRAINT posix_identities_uuid_key UNIQUE,
    pool_id      bigint      NOT NULL CONSTRAINT posix_identities_pool_fkey REFERENCES posix_id_pools (id) ON DELETE CASCADE,
    user_id      bigint      CONSTRAINT posix_identities_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    group_id     bigint      CONSTRAINT posix_identities_group_fkey REFERENCES posix_groups (id) ON DELETE CASCADE,
    offering_id  bigint      CONSTRAINT posix_identities_offering_fkey REFERENCES offerings (id) ON DELETE SET NULL,
    uid          bigint      CONSTRAINT posix_identities_uid_check CHECK (uid BETWEEN 0 AND 4294967295),
    gid          bigint      CONSTRAINT posix_identities_gid_check CHECK (gid BETWEEN 0 AND 4294967295),
    created      timestamptz NOT NULL DEFAULT now(),
    released_at  timestamptz,
    recyclable   boolean     NOT NULL DEFAULT false,
    CONSTRAINT posix_identities_holder_check CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    CONSTRAINT posix_identities_group_gid_check CHECK (group_id IS NULL OR (uid IS NULL AND gid IS NOT NULL))
);
CREATE UNIQUE INDEX posix_identities_active_user_key ON posix_identities (pool_id, user_id)
    WHERE released_at IS NULL AND user_id IS NOT NULL;
CREATE UNIQUE INDEX posix_identities_active_group_key ON posix_identities (pool_id, group_id)
    WHERE released_at IS NULL AND group_id IS NOT NULL;
CREATE UNIQUE INDEX posix_identities_active_uid_key ON posix_identities (pool_id, uid)
    WHERE released_at IS NULL AND uid IS NOT NULL;
CREATE UNIQUE INDEX posix_identities_active_gid_key ON posix_identities (pool_id, gid)
    WHERE released_at IS NULL AND gid IS NOT NULL;
CREATE INDEX posix_identities_user_idx ON posix_identities (user_id) WHERE user_id IS NOT NULL;
