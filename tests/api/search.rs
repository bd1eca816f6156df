//! The list's search, `?query=` (docs/spec/offering-users.md §5 `query`; docs/spec/offering-users-2026.md
//! §5 F11, §9 item 5): every field it looks in, case-insensitivity, `%`, `_` and `\` taken
//! literally, exact counts beside other filters and visibility, and the search document
//! (migration 0011) following every change of what it holds: names and usernames changed by
//! the import or directly, offerings renamed, the username PATCH, the POSIX UID and GID.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

/// Records on the provider's offering ("Cluster A"), which its owner sees.
const ZETA: &str = "00000000000000000000000000005f01";
const YOTTA: &str = "00000000000000000000000000005f02";
const FOUR: &str = "00000000000000000000000000005f04";
const FIVE: &str = "00000000000000000000000000005f05";
const SIX: &str = "00000000000000000000000000005f06";
/// A record on another provider's offering ("Cluster B").
const FOREIGN: &str = "00000000000000000000000000005f03";

const U1: &str = "00000000000000000000000000005b01";
const U2: &str = "00000000000000000000000000005b02";
const U3: &str = "00000000000000000000000000005b03";
const U4: &str = "00000000000000000000000000005b04";
const U5: &str = "00000000000000000000000000005b05";
const U6: &str = "00000000000000000000000000005b06";

/// Where the users of [`search_world`] start in its `users` list (after `world()`'s).
const FIRST_USER: usize = 12;

/// `world()` plus six users whose names and usernames share nothing a test searches for
/// by accident, and one record each.
fn search_world() -> Value {
    let mut doc = world_with(vec![
        offering_user(ZETA, U1, ids::OFFERING, Some("acct-zeta"), "OK"),
        offering_user(YOTTA, U2, ids::OFFERING, Some("acct-yotta"), "OK"),
        offering_user(FOREIGN, U3, ids::FOREIGN_OFFERING, Some("acct-foreign"), "OK"),
        offering_user(FOUR, U4, ids::OFFERING, Some("acct-four"), "Requested"),
        offering_user(FIVE, U5, ids::OFFERING, Some("acct-five"), "OK"),
        offering_user(SIX, U6, ids::OFFERING, Some("acct-six"), "OK"),
    ]);
    doc["offering_users"][5]["is_restricted"] = json!(true);
    let users = doc["users"].as_array_mut().unwrap();
    for (uuid, username, first, last) in [
        (U1, "login-one", "Ximena", "Ostrowski"),
        (U2, "login-two", "Åsa", "Kaleva"),
        (U3, "login-three", "Carmen", "Ostrowski"),
        (U4, "login-four", "Una", "Under_score"),
        (U5, "login-five", "Pia", "Per%cent"),
        (U6, "login-six", "Bo", "Back\\slash"),
    ] {
        users.push(json!({"uuid": uuid, "username": username, "first_name": first, "last_name": last,
                          "token": token(username)}));
    }
    doc
}

/// The uuids `who` finds with this query string, sorted; the count header must agree.
async fn found(app: &TestApp, who: &str, query: &str) -> Vec<String> {
    let reply = app.get(&format!("{LIST}?page_size=300&{query}"), &token(who)).await;
    assert_eq!(reply.status, StatusCode::OK, "{who} {query}: {:?}", String::from_utf8_lossy(&reply.bytes));
    let mut uuids = reply.uuids();
    assert_eq!(reply.header("x-result-count"), Some(uuids.len().to_string()), "{who} {query}");
    uuids.sort();
    uuids
}

/// What staff find for `term` (already URL-encoded).
async fn search(app: &TestApp, term: &str) -> Vec<String> {
    found(app, "staff", &format!("query={term}")).await
}

fn sorted(uuids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = uuids.iter().map(|u| (*u).to_owned()).collect();
    v.sort();
    v
}

async fn execute(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.db.pool).await.unwrap();
}

#[tokio::test]
async fn each_field_is_searched() {
    let app = TestApp::with(&search_world()).await;
    execute(
        &app,
        "UPDATE offering_users SET backend_metadata = '{\"uidnumber\": 100042, \"primarygroup\": 200042}' \
         WHERE uuid = '00000000000000000000000000005f02'",
    )
    .await;
    // The offering user's username.
    assert_eq!(search(&app, "zeta").await, sorted(&[ZETA]));
    // The user's username (newer upstream, F11).
    assert_eq!(search(&app, "login-two").await, sorted(&[YOTTA]));
    // First and last name.
    assert_eq!(search(&app, "ximena").await, sorted(&[ZETA]));
    assert_eq!(search(&app, "ostrowski").await, sorted(&[ZETA, FOREIGN]));
    // The offering's name.
    assert_eq!(search(&app, "cluster%20b").await, sorted(&[FOREIGN]));
    assert_eq!(search(&app, "cluster").await.len(), 6);
    // The decimal text of the POSIX UID and primary GID (upstream's test_query_search_by_uid_and_gid).
    for term in ["100042", "200042", "0004", "42"] {
        assert_eq!(search(&app, term).await, sorted(&[YOTTA]), "{term}");
    }
    assert!(search(&app, "nobody").await.is_empty());
    // A term never matches across two fields ("zeta" + "login-one").
    assert!(search(&app, "zetalogin").await.is_empty());
    assert!(search(&app, "zeta%1Flogin").await.is_empty());
    assert!(search(&app, "ximena%20ostrowski").await.is_empty());
}

#[tokio::test]
async fn the_search_ignores_case() {
    let app = TestApp::with(&search_world()).await;
    assert_eq!(search(&app, "XIMENA").await, sorted(&[ZETA]));
    assert_eq!(search(&app, "aCcT-YoTtA").await, sorted(&[YOTTA]));
    assert_eq!(search(&app, "CLUSTER%20B").await, sorted(&[FOREIGN]));
    assert_eq!(search(&app, "LOGIN-TWO").await, sorted(&[YOTTA]));
    // Beyond ASCII: "Åsa" by "åSA".
    assert_eq!(search(&app, "%C3%A5SA").await, sorted(&[YOTTA]));
}

#[tokio::test]
async fn percent_underscore_and_backslash_match_themselves() {
    let app = TestApp::with(&search_world()).await;
    assert_eq!(search(&app, "_").await, sorted(&[FOUR]));
    assert_eq!(search(&app, "r_s").await, sorted(&[FOUR]));
    // As a wildcard "u_d" would match "Und…".
    assert!(search(&app, "u_d").await.is_empty());
    assert_eq!(search(&app, "%25").await, sorted(&[FIVE]));
    assert_eq!(search(&app, "r%25c").await, sorted(&[FIVE]));
    // As a wildcard "n%s" would match nearly everything.
    assert!(search(&app, "n%25s").await.is_empty());
    assert_eq!(search(&app, "%5C").await, sorted(&[SIX]));
    assert_eq!(search(&app, "k%5Cs").await, sorted(&[SIX]));
    // As an escape "\s" would be a plain "s".
    assert!(search(&app, "%5Cs%5C").await.is_empty());
}

#[tokio::test]
async fn a_term_holding_the_documents_separator_is_matched_field_by_field() {
    let app = TestApp::with(&search_world()).await;
    execute(&app, "UPDATE users SET first_name = 'Sep' || chr(31) || 'Arated' WHERE username = 'login-one'").await;
    assert_eq!(search(&app, "p%1Fa").await, sorted(&[ZETA]));
    assert_eq!(search(&app, "P%1FA").await, sorted(&[ZETA]));
    assert!(search(&app, "d%1Fo").await.is_empty(), "no match across first and last name");
}

#[tokio::test]
async fn counts_are_exact_with_other_filters_and_visibility() {
    let app = TestApp::with(&search_world()).await;
    // The owner sees his offering's five records, staff also the other provider's.
    assert_eq!(found(&app, "owner", "query=acct").await, sorted(&[ZETA, YOTTA, FOUR, FIVE, SIX]));
    assert_eq!(found(&app, "staff", "query=acct").await.len(), 6);
    assert_eq!(found(&app, "other_owner", "query=acct").await, sorted(&[FOREIGN]));
    // A user sees his own record only.
    assert_eq!(found(&app, "login-three", "query=acct").await, sorted(&[FOREIGN]));
    assert!(found(&app, "login-three", "query=zeta").await.is_empty());
    assert!(found(&app, "outsider", "query=acct").await.is_empty());
    // With other filters.
    assert_eq!(found(&app, "owner", "query=acct&state=OK").await, sorted(&[ZETA, YOTTA, FIVE, SIX]));
    assert_eq!(found(&app, "owner", "query=acct&state=Requested").await, sorted(&[FOUR]));
    assert_eq!(found(&app, "owner", "query=acct&state=OK&is_restricted=false").await, sorted(&[ZETA, YOTTA, FIVE]));
    assert_eq!(
        found(&app, "staff", &format!("query=ostrowski&offering_uuid={}", ids::FOREIGN_OFFERING)).await,
        sorted(&[FOREIGN])
    );
    assert!(found(&app, "owner", &format!("query=ostrowski&offering_uuid={}", ids::FOREIGN_OFFERING)).await.is_empty());
    assert_eq!(found(&app, "owner", &format!("query=acct&user_uuid={U2}")).await, sorted(&[YOTTA]));
    assert_eq!(found(&app, "owner", &format!("query=acct&provider_uuid={}", ids::PROVIDER)).await.len(), 5);

    // A page smaller than the matches still carries the count of them all; HEAD agrees.
    let page = app.get(&format!("{LIST}?query=acct&state=OK&page_size=2&page=2"), "owner-token").await;
    assert_eq!(page.uuids().len(), 2);
    assert_eq!(page.header("x-result-count").as_deref(), Some("4"));
    let head = app.request(Method::HEAD, &format!("{LIST}?query=acct&state=OK"), Some("owner-token"), None).await;
    assert_eq!(head.header("x-result-count").as_deref(), Some("4"));
}

#[tokio::test]
async fn the_consent_gate_applies_to_the_search() {
    let mut doc = search_world();
    let terms = terms_and_consents(ids::OFFERING, "1", &[U1]);
    doc["terms_of_service"] = terms["terms_of_service"].clone();
    doc["consents"] = terms["consents"].clone();
    let app = TestApp::with(&doc).await;
    assert_eq!(found(&app, "owner", "query=acct").await, sorted(&[ZETA]));
    assert_eq!(found(&app, "staff", "query=acct").await.len(), 6);
    // A user is never gated from his own record.
    assert_eq!(found(&app, "login-two", "query=acct").await, sorted(&[YOTTA]));
}

#[tokio::test]
async fn names_changed_by_the_import_are_searched_at_once() {
    let mut doc = search_world();
    let app = TestApp::with(&doc).await;
    doc["users"][FIRST_USER]["first_name"] = json!("Zenobia");
    doc["users"][FIRST_USER + 1]["last_name"] = json!("Quillfeather");
    doc["users"][FIRST_USER + 2]["username"] = json!("login-renamed");
    app.import(&doc).await;
    assert_eq!(search(&app, "zenobia").await, sorted(&[ZETA]));
    assert!(search(&app, "ximena").await.is_empty());
    assert_eq!(search(&app, "quillfeather").await, sorted(&[YOTTA]));
    assert!(search(&app, "kaleva").await.is_empty());
    assert_eq!(search(&app, "renamed").await, sorted(&[FOREIGN]));
    assert!(search(&app, "login-three").await.is_empty());
    // Importing the same document again changes nothing.
    app.import(&doc).await;
    assert_eq!(search(&app, "zenobia").await, sorted(&[ZETA]));
}

#[tokio::test]
async fn names_changed_directly_in_the_database_are_searched_at_once() {
    let app = TestApp::with(&search_world()).await;
    execute(
        &app,
        "UPDATE users SET last_name = 'Quillfeather', username = 'login-direct' WHERE username = 'login-two'",
    )
    .await;
    assert_eq!(search(&app, "quillfeather").await, sorted(&[YOTTA]));
    assert_eq!(search(&app, "login-direct").await, sorted(&[YOTTA]));
    assert!(search(&app, "kaleva").await.is_empty());
    assert!(search(&app, "login-two").await.is_empty());
    // Every record of a user follows him.
    let user = json!({"offering_uuid": ids::FOREIGN_OFFERING, "user_uuid": U2, "username": "acct-two-b"});
    assert_eq!(app.post(LIST, "staff-token", user).await.status, StatusCode::CREATED);
    execute(&app, "UPDATE users SET first_name = 'Wilhelmina' WHERE username = 'login-direct'").await;
    assert_eq!(search(&app, "wilhelmina").await.len(), 2);
}

#[tokio::test]
async fn a_renamed_offering_is_searched_by_its_new_name() {
    let mut doc = search_world();
    let app = TestApp::with(&doc).await;
    doc["offerings"][0]["name"] = json!("Vortex");
    app.import(&doc).await;
    assert_eq!(search(&app, "vortex").await, sorted(&[ZETA, YOTTA, FOUR, FIVE, SIX]));
    assert!(search(&app, "cluster%20a").await.is_empty());
    assert_eq!(search(&app, "cluster").await, sorted(&[FOREIGN]));
    // Directly, too.
    execute(&app, "UPDATE offerings SET name = 'Nebula' WHERE name = 'Cluster B'").await;
    assert_eq!(search(&app, "nebula").await, sorted(&[FOREIGN]));
    assert!(search(&app, "cluster").await.is_empty());
}

#[tokio::test]
async fn a_patched_username_is_searched_at_once() {
    let app = TestApp::with(&search_world()).await;
    let reply = app.patch(&detail(YOTTA), "owner-token", json!({"username": "acct-omega"})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(found(&app, "owner", "query=omega").await, sorted(&[YOTTA]));
    assert!(found(&app, "owner", "query=yotta").await.is_empty());
    // The state actions leave the document alone.
    let reply = app.post_empty(&action(FOUR, "begin_creating"), "owner-token").await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", String::from_utf8_lossy(&reply.bytes));
    assert_eq!(found(&app, "owner", "query=acct-four&state=Creating").await, sorted(&[FOUR]));
}

#[tokio::test]
async fn a_new_record_and_a_re_pointed_one_are_searched_by_their_user() {
    let mut doc = search_world();
    let app = TestApp::with(&doc).await;
    let body = json!({"offering_uuid": ids::FOREIGN_OFFERING, "user_uuid": U1, "username": "acct-new"});
    let created = app.post(LIST, "staff-token", body).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let new = created.json()["uuid"].as_str().unwrap().to_owned();
    assert_eq!(search(&app, "acct-new").await, vec![new.clone()]);
    assert_eq!(search(&app, "ximena").await, sorted(&[ZETA, &new]));
    // The import moves FOREIGN from Carmen to Una (on Cluster B): it follows its new user.
    doc["offering_users"][2]["user"] = json!(U4);
    app.import(&doc).await;
    assert_eq!(search(&app, "carmen").await, Vec::<String>::new());
    assert_eq!(search(&app, "under_score").await, sorted(&[FOUR, FOREIGN]));
}

#[tokio::test]
async fn the_uid_and_gid_are_searched_as_backend_metadata_changes() {
    let app = TestApp::with(&search_world()).await;
    assert!(search(&app, "100042").await.is_empty());
    execute(
        &app,
        "UPDATE offering_users SET backend_metadata = '{\"uidnumber\": 100042, \"primarygroup\": 200042, \
         \"loginShell\": \"/bin/zsh\"}' WHERE uuid = '00000000000000000000000000005f02'",
    )
    .await;
    assert_eq!(search(&app, "100042").await, sorted(&[YOTTA]));
    assert_eq!(search(&app, "200042").await, sorted(&[YOTTA]));
    // Other keys of backend_metadata are not searched.
    assert!(search(&app, "zsh").await.is_empty());
    execute(
        &app,
        "UPDATE offering_users SET backend_metadata = backend_metadata - 'uidnumber' \
         WHERE uuid = '00000000000000000000000000005f02'",
    )
    .await;
    assert!(search(&app, "100042").await.is_empty());
    assert_eq!(search(&app, "200042").await, sorted(&[YOTTA]));
}

/// Empties `column` of every offering user, as the previous release left the rows (the
/// update trigger off, so nothing recomputes it), then applies migration `version` as the
/// runner does (one simple query, outside a transaction; it may run again over a database it
/// has already migrated) and checks that no row is left empty.
async fn empty_then_migrate(app: &TestApp, column: &str, version: i64) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    for sql in [
        "ALTER TABLE offering_users DISABLE TRIGGER offering_users_search_text_on_update".to_owned(),
        format!("UPDATE offering_users SET {column} = NULL"),
        "ALTER TABLE offering_users ENABLE TRIGGER offering_users_search_text_on_update".to_owned(),
    ] {
        sqlx::query(&sql).execute(&mut *conn).await.unwrap();
    }
    let emptied: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM offering_users WHERE {column} IS NULL"))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(emptied > 0, "{column}");
    let migration = waldur_offering_users::MIGRATOR.iter().find(|m| m.version == version).expect("the migration");
    sqlx::raw_sql(&migration.sql).execute(&mut *conn).await.unwrap();
    let empty: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM offering_users WHERE {column} IS NULL"))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(empty, 0, "{column} after migration {version}");
}

#[tokio::test]
async fn the_migration_fills_the_documents_of_rows_written_before_it() {
    let app = TestApp::with(&search_world()).await;
    empty_then_migrate(&app, "search_text", 11).await;
    assert_eq!(search(&app, "ximena").await, sorted(&[ZETA]));
    assert_eq!(search(&app, "cluster%20b").await, sorted(&[FOREIGN]));
}

/// Every caller of `world()`, by username (the token is `<username>-token`).
const CALLERS: [&str; 12] = [
    "staff",
    "support",
    "owner",
    "service_manager",
    "customer_support",
    "admin",
    "manager",
    "member",
    "offering_manager",
    "user",
    "outsider",
    "other_owner",
];

/// The search tests a record's offering through the caller's customers and managed offerings
/// (the search index's keys), the list through his offerings: for every role, on open, foreign
/// and switched-off offerings, in any state, one state or several (one repeated), a term every
/// record holds finds exactly the records he lists.
#[tokio::test]
async fn the_search_sees_exactly_the_records_the_list_shows() {
    use ids::*;
    let records = [
        ("00000000000000000000000000005e01", USER, OFFERING),
        ("00000000000000000000000000005e02", MEMBER, OFFERING),
        ("00000000000000000000000000005e03", OWNER, OFFERING),
        ("00000000000000000000000000005e04", OUTSIDER, FOREIGN_OFFERING),
        ("00000000000000000000000000005e05", MEMBER, FOREIGN_OFFERING),
        ("00000000000000000000000000005e06", USER, CLOSED_OFFERING),
        ("00000000000000000000000000005e07", OFFERING_MANAGER, FOREIGN_OFFERING),
        ("00000000000000000000000000005e08", OTHER_OWNER, OFFERING),
        ("00000000000000000000000000005e09", ADMIN, CLOSED_OFFERING),
    ];
    let states = ["OK", "Requested", "Creating"];
    let entries = records
        .iter()
        .enumerate()
        .map(|(i, (uuid, user, offering))| {
            offering_user(uuid, user, offering, Some(&format!("acct-{i}")), states[i % states.len()])
        })
        .collect();
    let app = TestApp::with(&world_with(entries)).await;
    for who in CALLERS {
        for filter in ["", "&state=OK", "&state=Creating&state=Requested&state=Creating"] {
            let listed = app.get(&format!("{LIST}?page_size=300{filter}"), &token(who)).await;
            assert_eq!(listed.status, StatusCode::OK, "{who}{filter}");
            let mut listed = listed.uuids();
            listed.sort();
            assert_eq!(found(&app, who, &format!("query=acct{filter}")).await, listed, "{who}{filter}");
        }
    }
    // Not vacuous: an owner sees his open offering's records and not his switched-off one's; an
    // offering manager those of the offering he manages and his own; each in the state asked.
    let offering_records = [records[0].0, records[1].0, records[2].0, records[7].0];
    assert_eq!(found(&app, "owner", "query=acct").await, sorted(&offering_records));
    assert_eq!(found(&app, "owner", "query=acct&state=OK").await, sorted(&[records[0].0]));
    let managed = [records[0].0, records[1].0, records[2].0, records[6].0, records[7].0];
    assert_eq!(found(&app, "offering_manager", "query=acct").await, sorted(&managed));
    let managed_in_progress = [records[1].0, records[2].0, records[7].0];
    assert_eq!(
        found(&app, "offering_manager", "query=acct&state=Requested&state=Creating").await,
        sorted(&managed_in_progress)
    );
    assert_eq!(found(&app, "staff", "query=acct").await.len(), records.len());
}

/// An offering moved to another customer is searched by the new customer's owner at once, and
/// no longer by the old one's: by the import and directly in the database.
#[tokio::test]
async fn an_offering_moved_to_another_customer_is_searched_by_its_new_owner() {
    let mut doc = search_world();
    let app = TestApp::with(&doc).await;
    let cluster_a = sorted(&[ZETA, YOTTA, FOUR, FIVE, SIX]);
    assert_eq!(found(&app, "owner", "query=acct").await, cluster_a);
    doc["offerings"][0]["customer"] = json!(ids::OTHER_PROVIDER);
    app.import(&doc).await;
    assert!(found(&app, "owner", "query=acct").await.is_empty());
    let mut both = cluster_a.clone();
    both.push(FOREIGN.to_owned());
    both.sort();
    assert_eq!(found(&app, "other_owner", "query=acct").await, both);
    // Directly: Cluster B moves to the first provider.
    execute(
        &app,
        "UPDATE offerings SET customer_id = (SELECT id FROM customers WHERE uuid = '00000000000000000000000000000c01') \
         WHERE uuid = '00000000000000000000000000000e02'",
    )
    .await;
    assert_eq!(found(&app, "owner", "query=acct").await, sorted(&[FOREIGN]));
    assert_eq!(found(&app, "other_owner", "query=acct").await, cluster_a);
}

#[tokio::test]
async fn the_migration_fills_the_customers_of_rows_written_before_it() {
    let app = TestApp::with(&search_world()).await;
    empty_then_migrate(&app, "customer_id", 16).await;
    assert_eq!(found(&app, "owner", "query=acct").await, sorted(&[ZETA, YOTTA, FOUR, FIVE, SIX]));
}
