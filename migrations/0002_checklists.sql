-- Compliance checklists of offering users (checklists.md §1, decisions.md 16-22).
-- Checklists and their questions come from the directory import; completions are created
-- with offering users; answers and uploaded files come from `submit_answers`.

CREATE TABLE checklists (
    id              bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT checklists_pkey PRIMARY KEY,
    uuid            uuid          NOT NULL CONSTRAINT checklists_uuid_key UNIQUE,
    name            varchar(150)  NOT NULL,
    description     varchar(2000) NOT NULL DEFAULT '',
    -- Echoed, never interpreted by the endpoints (§2.1); the import checks the values.
    checklist_type  varchar(20)   NOT NULL DEFAULT 'project_compliance',
    created         timestamptz   NOT NULL DEFAULT now(),
    modified        timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE checklist_questions (
    id                         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT checklist_questions_pkey PRIMARY KEY,
    uuid                       uuid          NOT NULL CONSTRAINT checklist_questions_uuid_key UNIQUE,
    checklist_id               bigint        NOT NULL
                               CONSTRAINT checklist_questions_checklist_fkey REFERENCES checklists (id) ON DELETE CASCADE,
    description                varchar(2000) NOT NULL DEFAULT '',
    "order"                    integer       NOT NULL DEFAULT 0 CONSTRAINT checklist_questions_order_check CHECK ("order" >= 0),
    required                   boolean       NOT NULL DEFAULT false,
    -- The 16 types of the January 2026 API reference (decisions.md 1: no likert/rich_text).
    question_type              varchar(20)   NOT NULL DEFAULT 'boolean'
                               CONSTRAINT checklist_questions_type_check CHECK (question_type IN (
                                   'boolean', 'single_select', 'multi_select', 'text_input', 'text_area',
                                   'number', 'date', 'file', 'multiple_files', 'phone_number', 'year',
                                   'email', 'url', 'country', 'rating', 'datetime')),
    user_guidance              text          NOT NULL DEFAULT '',
    -- NULL and JSON values are distinct here: NULL means "no value" (§5.1, §5.2).
    guidance_answer_value      jsonb                  DEFAULT '[]'::jsonb,
    guidance_operator          varchar(20)   NOT NULL DEFAULT 'equals'
                               CONSTRAINT checklist_questions_guidance_operator_check
                               CHECK (guidance_operator IN ('', 'equals', 'not_equals', 'contains', 'in', 'not_in')),
    always_show_guidance       boolean       NOT NULL DEFAULT true,
    review_answer_value        jsonb                  DEFAULT '[]'::jsonb,
    operator                   varchar(20)   NOT NULL DEFAULT 'equals'
                               CONSTRAINT checklist_questions_operator_check
                               CHECK (operator IN ('', 'equals', 'not_equals', 'contains', 'in', 'not_in')),
    always_requires_review     boolean       NOT NULL DEFAULT false,
    min_value                  numeric(20, 4),
    max_value                  numeric(20, 4),
    dependency_logic_operator  varchar(10)   NOT NULL DEFAULT 'and'
                               CONSTRAINT checklist_questions_logic_check CHECK (dependency_logic_operator IN ('and', 'or')),
    allowed_file_types         jsonb         NOT NULL DEFAULT '[]'::jsonb,
    allowed_mime_types         jsonb         NOT NULL DEFAULT '[]'::jsonb,
    max_file_size_mb           integer       CONSTRAINT checklist_questions_max_file_size_check CHECK (max_file_size_mb >= 0),
    max_files_count            integer       CONSTRAINT checklist_questions_max_files_count_check CHECK (max_files_count >= 0)
);
-- A checklist's questions in display order (`order`, `id`).
CREATE INDEX checklist_questions_checklist_order_idx ON checklist_questions (checklist_id, "order", id);

CREATE TABLE checklist_question_options (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT checklist_question_options_pkey PRIMARY KEY,
    uuid         uuid         NOT NULL CONSTRAINT checklist_question_options_uuid_key UNIQUE,
    question_id  bigint       NOT NULL CONSTRAINT checklist_question_options_question_fkey
                              REFERENCES checklist_questions (id) ON DELETE CASCADE,
    label        varchar(255) NOT NULL,
    "order"      integer      NOT NULL DEFAULT 0
);
CREATE INDEX checklist_question_options_question_order_idx ON checklist_question_options (question_id, "order", id);

CREATE TABLE checklist_question_dependencies (
    id                      bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT checklist_question_dependencies_pkey PRIMARY KEY,
    uuid                    uuid        NOT NULL CONSTRAINT checklist_question_dependencies_uuid_key UNIQUE,
    question_id             bigint      NOT NULL CONSTRAINT checklist_question_dependencies_question_fkey
                                        REFERENCES checklist_questions (id) ON DELETE CASCADE,
    depends_on_question_id  bigint      NOT NULL CONSTRAINT checklist_question_dependencies_depends_on_fkey
                                        REFERENCES checklist_questions (id) ON DELETE CASCADE,
    required_answer_value   jsonb       NOT NULL,
    operator                varchar(20) NOT NULL DEFAULT 'equals'
                            CONSTRAINT checklist_question_dependencies_operator_check
                            CHECK (operator IN ('', 'equals', 'not_equals', 'contains', 'in', 'not_in')),
    created                 timestamptz NOT NULL DEFAULT now(),
    modified                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checklist_question_dependencies_not_self_check CHECK (question_id <> depends_on_question_id)
);
CREATE INDEX checklist_question_dependencies_question_idx ON checklist_question_dependencies (question_id, created, id);
CREATE INDEX checklist_question_dependencies_depends_on_idx ON checklist_question_dependencies (depends_on_question_id);

ALTER TABLE offerings ADD COLUMN compliance_checklist_id bigint
    CONSTRAINT offerings_compliance_checklist_fkey REFERENCES checklists (id) ON DELETE SET NULL;
CREATE INDEX offerings_compliance_checklist_idx ON offerings (compliance_checklist_id)
    WHERE compliance_checklist_id IS NOT NULL;

-- One per (offering user, checklist); upstream's generic scope becomes a plain foreign key,
-- so deleting the offering user removes its completions, answers and files (§9).
CREATE TABLE checklist_completions (
    id                bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT checklist_completions_pkey PRIMARY KEY,
    uuid              uuid        NOT NULL CONSTRAINT checklist_completions_uuid_key UNIQUE,
    checklist_id      bigint      NOT NULL CONSTRAINT checklist_completions_checklist_fkey
                                  REFERENCES checklists (id) ON DELETE CASCADE,
    offering_user_id  bigint      NOT NULL CONSTRAINT checklist_completions_offering_user_fkey
                                  REFERENCES offering_users (id) ON DELETE CASCADE,
    -- Stored, recomputed on every submit (§7).
    is_completed      boolean     NOT NULL DEFAULT false,
    requires_review   boolean     NOT NULL DEFAULT false,
    reviewed_by_id    bigint      CONSTRAINT checklist_completions_reviewed_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at       timestamptz,
    review_notes      text        NOT NULL DEFAULT '',
    created           timestamptz NOT NULL DEFAULT now(),
    modified          timestamptz NOT NULL DEFAULT now(),
    -- The lookup of §8.1 step 5 and of `has_compliance_checklist` uses this index.
    CONSTRAINT checklist_completions_offering_user_checklist_key UNIQUE (offering_user_id, checklist_id)
);
CREATE INDEX checklist_completions_checklist_idx ON checklist_completions (checklist_id);

-- Answers are per user: several users may answer the same question of one completion (§1.6).
CREATE TABLE checklist_answers (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT checklist_answers_pkey PRIMARY KEY,
    uuid             uuid        NOT NULL CONSTRAINT checklist_answers_uuid_key UNIQUE,
    completion_id    bigint      NOT NULL CONSTRAINT checklist_answers_completion_fkey
                                 REFERENCES checklist_completions (id) ON DELETE CASCADE,
    question_id      bigint      NOT NULL CONSTRAINT checklist_answers_question_fkey
                                 REFERENCES checklist_questions (id) ON DELETE CASCADE,
    user_id          bigint      NOT NULL CONSTRAINT checklist_answers_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    answer_data      jsonb       NOT NULL DEFAULT '[]'::jsonb,
    requires_review  boolean     NOT NULL DEFAULT false,
    reviewed_by_id   bigint      CONSTRAINT checklist_answers_reviewed_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at      timestamptz,
    review_notes     text        NOT NULL DEFAULT '',
    created          timestamptz NOT NULL DEFAULT now(),
    -- clock_timestamp() on writes, so that answers saved one after the other in one request
    -- still order by time ("latest answer wins", R2).
    modified         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checklist_answers_completion_question_user_key UNIQUE (completion_id, question_id, user_id)
);
CREATE INDEX checklist_answers_question_idx ON checklist_answers (question_id);
CREATE INDEX checklist_answers_user_idx ON checklist_answers (user_id);

-- Uploaded files of `file` / `multiple_files` answers, in the database so that several
-- server replicas share them (decisions.md 22). Answers refer to them by `stored_file_id`.
CREATE TABLE checklist_files (
    id             bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT checklist_files_pkey PRIMARY KEY,
    uuid           uuid         NOT NULL CONSTRAINT checklist_files_uuid_key UNIQUE,
    completion_id  bigint       NOT NULL CONSTRAINT checklist_files_completion_fkey
                                REFERENCES checklist_completions (id) ON DELETE CASCADE,
    uploaded_by    bigint       CONSTRAINT checklist_files_uploaded_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    name           text         NOT NULL,
    mime_type      varchar(255) NOT NULL,
    size           bigint       NOT NULL CONSTRAINT checklist_files_size_check CHECK (size > 0),
    content        bytea        NOT NULL,
    created        timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX checklist_files_completion_idx ON checklist_files (completion_id);
