//! The benchmark's data: a deterministic directory and offering users at a chosen scale,
//! written with `COPY … FROM STDIN` in the exact schema of `migrations/`.
//!
//! Shapes (every scale): 10,000 users, 20 providers (customer 1 owns 50 offerings, the S3
//! owner's; the others share 150), 100 client organisations with 10 projects each, owners,
//! managers, project members and one offering manager per offering, active terms of service
//! on a quarter of the offerings (the S1 offering among them) with consents from 85 % of
//! their users. The S1 offering holds min(10,000, scale/2) offering users; the rest are spread
//! evenly over the other offerings. About 5 % of users have a surname containing "smi".
//! Ten extra offerings of the S1 provider (ids 201–210) stay empty: S6 fills them with
//! Requested records right before it runs and empties them afterwards.
//!
//! Everything derives from the row number through a fixed hash, so a rerun computes the same
//! principals (tokens, uuids) without reading them back.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;
use waldur_offering_users::store::auth::hash_key;

/// Bump when the generated data changes: databases seeded by an older generator are rebuilt.
pub(crate) const SEED_VERSION: i32 = 1;

pub(crate) const USERS: i64 = 10_000;
const PROVIDERS: i64 = 20;
const CLIENTS: i64 = 100;
const PROJECTS_PER_CLIENT: i64 = 10;
pub(crate) const OFFERINGS: i64 = 200;
/// Offerings 201..=210 of the S1 provider hold the S6 pool.
pub(crate) const POOL_OFFERINGS: i64 = 10;

pub(crate) const STAFF_ID: i64 = 1;
pub(crate) const S1_OWNER_ID: i64 = 2;
pub(crate) const S3_OWNER_ID: i64 = 3;
/// Customer 2 provides the S1 offering; customer 1 the S3 owner's 50 offerings.
const S1_CUSTOMER: i64 = 2;
const S3_CUSTOMER: i64 = 1;
pub(crate) const S1_OFFERING: i64 = 51;

/// Who and what the scenarios use.
#[derive(Debug, Clone)]
pub(crate) struct Principals {
    pub staff_token: String,
    pub s1_owner_token: String,
    pub s3_owner_token: String,
    pub s1_offering_uuid: Uuid,
    /// An OK, consented record of the S1 offering (S4 retrieves it as the S1 owner).
    pub s4_record_uuid: Uuid,
}

impl Principals {
    pub(crate) fn new() -> Self {
        Principals {
            staff_token: token(STAFF_ID),
            s1_owner_token: token(S1_OWNER_ID),
            s3_owner_token: token(S3_OWNER_ID),
            s1_offering_uuid: uuid_of(KIND_OFFERING, S1_OFFERING),
            s4_record_uuid: uuid_of(KIND_OFFERING_USER, 1),
        }
    }
}

/// The API key of a user that has one (40 characters, like Waldur's).
pub(crate) fn token(user_id: i64) -> String {
    format!("wou-bench-token-{user_id:024}")
}

const KIND_USER: u64 = 1;
const KIND_CUSTOMER: u64 = 2;
const KIND_PROJECT: u64 = 3;
const KIND_OFFERING: u64 = 4;
const KIND_TOS: u64 = 5;
const KIND_CONSENT: u64 = 6;
const KIND_OFFERING_USER: u64 = 7;

/// SplitMix64: a fixed, fast hash for deterministic pseudo-random data.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn rand(kind: u64, id: i64, salt: u64) -> u64 {
    mix(mix(kind << 56 ^ id as u64) ^ salt)
}

/// A version-4 uuid derived from (kind, id).
pub(crate) fn uuid_of(kind: u64, id: i64) -> Uuid {
    let hi = rand(kind, id, 1) as u128;
    let lo = rand(kind, id, 2) as u128;
    uuid::Builder::from_random_bytes(((hi << 64) | lo).to_be_bytes()).into_uuid()
}

/// The uuid of an S6 pool record: decimal digits only, so pgbench can build it from the id.
pub(crate) fn pool_uuid(id: i64) -> Uuid {
    Uuid::parse_str(&format!("b0000000-0000-4000-8000-{id:012}")).expect("valid pool uuid")
}

pub(crate) const POOL_UUID_PREFIX: &str = "b0000000-0000-4000-8000-";

const FIRST_NAMES: [&str; 24] = [
    "Anna", "Ben", "Carla", "David", "Eva", "Farid", "Grace", "Hannes", "Ines", "Jonas", "Kaja", "Liam", "Maria",
    "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tiina", "Uma", "Viktor", "Wen", "Xenia",
];
/// Two of forty surnames contain "smi" (5 % of users).
const LAST_NAMES: [&str; 40] = [
    "Smith",
    "Smirnova",
    "Tamm",
    "Kask",
    "Saar",
    "Muller",
    "Schmidt",
    "Garcia",
    "Rossi",
    "Novak",
    "Horvat",
    "Kowalski",
    "Nielsen",
    "Jensen",
    "Virtanen",
    "Korhonen",
    "Silva",
    "Santos",
    "Dubois",
    "Martin",
    "Bernard",
    "Petrov",
    "Ivanova",
    "Popescu",
    "Nagy",
    "Toth",
    "Papadopoulos",
    "Murphy",
    "Kelly",
    "Walsh",
    "Brown",
    "Wilson",
    "Taylor",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Green",
    "Hall",
];

struct UserShape {
    username: String,
    first: &'static str,
    last: &'static str,
}

fn user_shape(id: i64) -> UserShape {
    let first = FIRST_NAMES[(rand(KIND_USER, id, 3) % FIRST_NAMES.len() as u64) as usize];
    let last = LAST_NAMES[(rand(KIND_USER, id, 4) % LAST_NAMES.len() as u64) as usize];
    let username = match id {
        STAFF_ID => "staff".to_owned(),
        S1_OWNER_ID => "s1owner".to_owned(),
        S3_OWNER_ID => "s3owner".to_owned(),
        _ => format!("{}{}{id}", first[..1].to_ascii_lowercase(), last.to_ascii_lowercase()),
    };
    UserShape { username, first, last }
}

/// The offering's customer: 1..=50 → customer 1 (S3), the rest round-robin over 2..=20;
/// the pool offerings belong to the S1 provider.
fn offering_customer(o: i64) -> i64 {
    match o {
        1..=50 => S3_CUSTOMER,
        51..=200 => 2 + (o - 51) % (PROVIDERS - 1),
        _ => S1_CUSTOMER,
    }
}

fn has_tos(o: i64) -> bool {
    o == S1_OFFERING || (o <= OFFERINGS && o % 4 == 3)
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
}

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid date")
}

/// COPY options of the initial load.
const FREEZE: &str = "FORMAT text, FREEZE";

/// Streams rows into `COPY table (columns) FROM STDIN` in chunks of a few megabytes.
async fn copy_rows(
    conn: &mut PgConnection,
    options: &str,
    table: &str,
    columns: &str,
    rows: impl Iterator<Item = String>,
) -> sqlx::Result<u64> {
    let mut copy = conn.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN WITH ({options})")).await?;
    let mut buffer = String::with_capacity(1 << 22);
    for row in rows {
        buffer.push_str(&row);
        buffer.push('\n');
        if buffer.len() > (1 << 22) - 4096 {
            copy.send(std::mem::replace(&mut buffer, String::with_capacity(1 << 22)).into_bytes()).await?;
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.into_bytes()).await?;
    }
    copy.finish().await
}

/// Where the offering users go: (offering, user) pairs, numbered from 1 in row order.
pub(crate) struct Layout {
    s1_count: i64,
    per_offering: i64,
    extra: i64,
}

impl Layout {
    pub(crate) fn new(scale: i64) -> Self {
        let s1_count = (scale / 2).min(USERS);
        let rest = scale - s1_count;
        Layout { s1_count, per_offering: rest / (OFFERINGS - 1), extra: rest % (OFFERINGS - 1) }
    }

    /// Every (offering, user) pair in row order.
    fn pairs(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        let s1 = (0..self.s1_count).map(|k| (S1_OFFERING, 1 + (9 + k) % USERS));
        let others = (1..=OFFERINGS).filter(|&o| o != S1_OFFERING).enumerate().flat_map(move |(i, o)| {
            let n = self.per_offering + i64::from((i as i64) < self.extra);
            let start = (rand(KIND_OFFERING, o, 9) % USERS as u64) as i64;
            (0..n).map(move |k| (o, 1 + (start + k) % USERS))
        });
        s1.chain(others)
    }
}

/// One offering user row (COPY text), and whether its user consented.
fn offering_user_row(id: i64, offering: i64, user: i64) -> String {
    let r = rand(KIND_OFFERING_USER, id, 5) % 100;
    // The S4 record (row 1) is OK; the rest follow upstream-like proportions.
    let state: i16 = if id == 1 {
        5
    } else {
        match r {
            0..=69 => 5,
            70..=79 => 1,
            80..=84 => 2,
            85..=87 => 3,
            88..=89 => 4,
            90..=93 => 6,
            94..=95 => 7,
            96..=97 => 8,
            98 => 9,
            _ => 10,
        }
    };
    let username = match state {
        1 | 2 | 9 => "\\N".to_owned(),
        _ => user_shape(user).username,
    };
    let created = epoch() - Duration::seconds((rand(KIND_OFFERING_USER, id, 6) % (2 * 365 * 86_400)) as i64);
    let modified = created + Duration::seconds((rand(KIND_OFFERING_USER, id, 7) % 86_400) as i64);
    let restricted = rand(KIND_OFFERING_USER, id, 8) % 100 < 3;
    format!(
        "{id}\t{}\t{}\t{}\t{offering}\t{user}\t{username}\t{restricted}\t{state}\t\t\t{{}}",
        uuid_of(KIND_OFFERING_USER, id),
        ts(created),
        ts(modified)
    )
}

fn consents_to(id: i64) -> bool {
    id == 1 || rand(KIND_CONSENT, id, 1) % 100 < 85
}

/// Seeds an empty, migrated database. Returns the number of offering users written.
pub(crate) async fn seed(conn: &mut PgConnection, scale: i64) -> sqlx::Result<i64> {
    let layout = Layout::new(scale);
    let mut tx = conn.begin().await?;
    sqlx::query("SET LOCAL maintenance_work_mem = '256MB'").execute(&mut *tx).await?;
    // Truncated in this transaction, the (empty) tables take `COPY … WITH (FREEZE)`: rows are
    // written frozen and all-visible, so no VACUUM has to rewrite them before index-only
    // scans work. Triggers still fire (the migrations' counters stay exact): nothing here
    // bypasses the schema.
    sqlx::query(
        "TRUNCATE users, api_tokens, customers, projects, offerings, user_roles, terms_of_service, consents, \
         offering_users CASCADE",
    )
    .execute(&mut *tx)
    .await?;

    let now = ts(epoch());
    copy_rows(
        &mut tx,
        FREEZE,
        "users",
        "id, uuid, username, first_name, last_name, email, is_staff, is_support, is_active, token_lifetime",
        (1..=USERS).map(|id| {
            let u = user_shape(id);
            format!(
                "{id}\t{}\t{}\t{}\t{}\t{}@example.org\t{}\tf\tt\t\\N",
                uuid_of(KIND_USER, id),
                u.username,
                u.first,
                u.last,
                u.username,
                id == STAFF_ID
            )
        }),
    )
    .await?;
    // Tokens for the three principals and every 100th user.
    copy_rows(
        &mut tx,
        FREEZE,
        "api_tokens",
        "user_id, key_sha256, created",
        (1..=USERS)
            .filter(|id| *id <= 3 || id % 100 == 0)
            .map(|id| format!("{id}\t\\\\x{}\t{}", hex::encode(hash_key(&token(id))), ts(Utc::now()))),
    )
    .await?;
    let customers = PROVIDERS + CLIENTS;
    copy_rows(
        &mut tx,
        FREEZE,
        "customers",
        "id, uuid, name, abbreviation",
        (1..=customers).map(|id| {
            let name = if id <= PROVIDERS { format!("Provider {id}") } else { format!("Organisation {id}") };
            format!("{id}\t{}\t{name}\tC{id}", uuid_of(KIND_CUSTOMER, id))
        }),
    )
    .await?;
    let projects = CLIENTS * PROJECTS_PER_CLIENT;
    copy_rows(
        &mut tx,
        FREEZE,
        "projects",
        "id, uuid, name, customer_id",
        (1..=projects).map(|id| {
            let customer = PROVIDERS + 1 + (id - 1) / PROJECTS_PER_CLIENT;
            format!("{id}\t{}\tProject {id}\t{customer}", uuid_of(KIND_PROJECT, id))
        }),
    )
    .await?;
    copy_rows(
        &mut tx,
        FREEZE,
        "offerings",
        "id, uuid, name, slug, type, customer_id, parent_id, plugin_options",
        (1..=OFFERINGS + POOL_OFFERINGS).map(|o| {
            // Every 20th catalogue offering keeps offering users switched off.
            let enabled = o > OFFERINGS || o % 20 != 0;
            let kind = ["Marketplace.Slurm", "OpenStack.Tenant", "Marketplace.Basic"][(o % 3) as usize];
            let name = if o > OFFERINGS { format!("Agent pool {o}") } else { format!("Offering {o}") };
            format!(
                "{o}\t{}\t{name}\toffering-{o}\t{kind}\t{}\t\\N\t{{\"service_provider_can_create_offering_user\": {enabled}}}",
                uuid_of(KIND_OFFERING, o),
                offering_customer(o)
            )
        }),
    )
    .await?;
    copy_rows(
        &mut tx,
        FREEZE,
        "user_roles",
        "user_id, role, customer_id, project_id, offering_id",
        roles().into_iter(),
    )
    .await?;
    let tos_offerings: Vec<i64> = (1..=OFFERINGS).filter(|o| has_tos(*o)).collect();
    copy_rows(
        &mut tx,
        FREEZE,
        "terms_of_service",
        "id, uuid, offering_id, version, is_active, requires_reconsent, terms_of_service, created, modified",
        tos_offerings.iter().map(|&o| {
            format!(
                "{o}\t{}\t{o}\t2.0\tt\t{}\tPlease use the service responsibly.\t{now}\t{now}",
                uuid_of(KIND_TOS, o),
                o % 8 == 7
            )
        }),
    )
    .await?;
    let pairs = || layout.pairs().enumerate().map(|(i, (o, u))| (i as i64 + 1, o, u));
    copy_rows(
        &mut tx,
        FREEZE,
        "consents",
        "id, uuid, user_id, offering_id, version, agreement_date",
        pairs().filter(|&(id, o, _)| has_tos(o) && consents_to(id)).map(|(id, o, u)| {
            // One in ten consents is to an older version (requires_reconsent shows on some).
            let version = if rand(KIND_CONSENT, id, 2).is_multiple_of(10) { "1.0" } else { "2.0" };
            format!("{id}\t{}\t{u}\t{o}\t{version}\t{now}", uuid_of(KIND_CONSENT, id))
        }),
    )
    .await?;

    // The secondary indexes and foreign keys of offering_users are built and checked once
    // after the load (faster than row by row); their definitions are read back, so the
    // schema stays exactly the migrations'.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexname::text, i.indexdef FROM pg_indexes i \
         WHERE i.schemaname = current_schema() AND i.tablename = 'offering_users' \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}")).execute(&mut *tx).await?;
    }
    let foreign_keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = 'offering_users'::regclass AND contype = 'f'",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (name, _) in &foreign_keys {
        sqlx::query(&format!("ALTER TABLE offering_users DROP CONSTRAINT {name}")).execute(&mut *tx).await?;
    }
    let started = std::time::Instant::now();
    let written = copy_rows(
        &mut tx,
        FREEZE,
        "offering_users",
        "id, uuid, created, modified, offering_id, user_id, username, is_restricted, state, \
         service_provider_comment, service_provider_comment_url, backend_metadata",
        pairs().map(|(id, o, u)| offering_user_row(id, o, u)),
    )
    .await?;
    println!("  offering_users: {written} rows copied in {:.1} s", started.elapsed().as_secs_f64());
    let started = std::time::Instant::now();
    for (_, definition) in &indexes {
        sqlx::query(definition).execute(&mut *tx).await?;
    }
    for (name, definition) in &foreign_keys {
        sqlx::query(&format!("ALTER TABLE offering_users ADD CONSTRAINT {name} {definition}"))
            .execute(&mut *tx)
            .await?;
    }
    println!("  offering_users: indexes and foreign keys in {:.1} s", started.elapsed().as_secs_f64());
    for table in
        ["users", "customers", "projects", "offerings", "user_roles", "terms_of_service", "consents", "offering_users"]
    {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(written as i64)
}

/// Owners, managers, project members and offering managers (COPY rows).
fn roles() -> Vec<String> {
    let mut rows = Vec::new();
    let mut push = |user: i64, role: &str, customer: Option<i64>, project: Option<i64>, offering: Option<i64>| {
        let f = |v: Option<i64>| v.map_or("\\N".to_owned(), |v| v.to_string());
        rows.push(format!("{user}\t{role}\t{}\t{}\t{}", f(customer), f(project), f(offering)));
    };
    push(S1_OWNER_ID, "CUSTOMER.OWNER", Some(S1_CUSTOMER), None, None);
    push(S3_OWNER_ID, "CUSTOMER.OWNER", Some(S3_CUSTOMER), None, None);
    for c in 1..=PROVIDERS + CLIENTS {
        push(10 + 3 * c, "CUSTOMER.OWNER", Some(c), None, None);
        push(11 + 3 * c, "CUSTOMER.MANAGER", Some(c), None, None);
    }
    for o in 1..=OFFERINGS {
        push(1_000 + o, "OFFERING.MANAGER", None, None, Some(o));
    }
    let projects = CLIENTS * PROJECTS_PER_CLIENT;
    for user in 2_000..=USERS {
        let project = 1 + (rand(KIND_USER, user, 10) % projects as u64) as i64;
        let role = if user % 10 == 0 { "PROJECT.ADMIN" } else { "PROJECT.MEMBER" };
        push(user, role, None, Some(project), None);
    }
    rows
}

/// The S6 pool: `size` Requested records (no username) in the pool offerings, ids from
/// `first_id`, uuids from [`pool_uuid`]. Replaces any earlier pool and clears the audit trail.
pub(crate) async fn reset_pool(conn: &mut PgConnection, first_id: i64, size: i64) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM offering_users WHERE offering_id > $1").bind(OFFERINGS).execute(&mut *tx).await?;
    sqlx::query("TRUNCATE audit_events").execute(&mut *tx).await?;
    let now = ts(Utc::now());
    copy_rows(
        &mut tx,
        "FORMAT text",
        "offering_users",
        "id, uuid, created, modified, offering_id, user_id, state",
        (0..size).map(|k| {
            let id = first_id + k;
            let offering = OFFERINGS + 1 + k / USERS;
            let user = 1 + k % USERS;
            format!("{id}\t{}\t{now}\t{now}\t{offering}\t{user}\t1", pool_uuid(id))
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the S6 pool (so the read scenarios see exactly the seeded scale).
pub(crate) async fn drop_pool(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM offering_users WHERE offering_id > $1").bind(OFFERINGS).execute(&mut *conn).await?;
    sqlx::query("TRUNCATE audit_events").execute(&mut *conn).await?;
    Ok(())
}

/// Capacity of the pool offerings.
pub(crate) const POOL_CAPACITY: i64 = POOL_OFFERINGS * USERS;
