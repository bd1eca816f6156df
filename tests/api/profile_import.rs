//! The directory keys of the 2026 contract (docs/spec/offering-users-2026.md §9): users'
//! profiles, offerings' exposure configs, service-provider accounts and offering users' links
//! and runtime state; their errors name the JSON path and write nothing; a re-import keeps the
//! runtime state the API set unless told to overwrite (docs/spec/decisions.md item 32).

use serde_json::{json, Value};
use waldur_offering_users::directory::{self, ImportError, ImportOptions, ImportSummary, Kind};

use crate::support::*;

const MINE: &str = "00000000000000000000000000000f01";
const FOREIGN: &str = "00000000000000000000000000000f02";
const ACCOUNT: &str = "00000000000000000000000000000b01";
const OTHER_ACCOUNT: &str = "00000000000000000000000000000b02";

fn doc() -> Value {
    let mut doc = world_with(vec![
        offering_user(MINE, ids::MEMBER, ids::OFFERING, Some("member1"), "OK"),
        offering_user(FOREIGN, ids::MEMBER, ids::FOREIGN_OFFERING, Some("member2"), "OK"),
    ]);
    doc["service_provider_accounts"] = json!([
        {"uuid": ACCOUNT, "user": ids::MEMBER, "customer": ids::PROVIDER, "username": "mtester"},
        {"uuid": OTHER_ACCOUNT, "user": ids::OUTSIDER, "customer": ids::PROVIDER}
    ]);
    doc
}

async fn import_with(app: &TestApp, doc: &Value, options: ImportOptions) -> Result<ImportSummary, ImportError> {
    let parsed = directory::parse(&doc.to_string())?;
    directory::import_with(&app.db.pool, &parsed, options, &mut |_| {}).await
}

async fn import(app: &TestApp, doc: &Value) -> Result<ImportSummary, ImportError> {
    import_with(app, doc, ImportOptions::default()).await
}

fn error_of(result: Result<ImportSummary, ImportError>) -> (String, String) {
    match result {
        Err(ImportError::Invalid { path, message }) => (path, message),
        other => panic!("expected an invalid-entry error, got {other:?}"),
    }
}

async fn scalar<T>(app: &TestApp, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn profiles_exposures_accounts_and_links_are_stored_and_shown() {
    let mut doc = doc();
    let member = doc["users"].as_array_mut().unwrap().iter_mut().find(|u| u["uuid"] == ids::MEMBER).unwrap();
    let profile = json!({
        "phone_number": "+1 555", "organization": "Uni", "job_title": "Researcher", "affiliations": ["staff@uni"],
        "gender": "male", "personal_title": "Dr", "place_of_birth": "Tartu", "address": "Main 1",
        "country_of_residence": "EE", "nationality": "EE", "nationalities": ["EE", "FI"],
        "organization_country": "EE", "organization_type": "urn:schac:homeOrganizationType:int:university",
        "organization_registry_code": "123", "organization_vat_code": "EE1", "organization_address": "Uni 1",
        "eduperson_assurance": ["https://refeds.org/assurance"], "civil_number": "39002280000",
        "birth_date": "1990-02-28", "identity_source": "eduGAIN", "registration_method": "saml2",
        "uid_number": 4294967295u64, "primary_gid": 0, "active_isds": ["isd"]
    });
    member.as_object_mut().unwrap().extend(profile.as_object().unwrap().clone());
    let all: Vec<&str> = vec![
        "primary_gid",
        "uid_number",
        "active_isds",
        "birth_date",
        "civil_number",
        "identity_source",
        "eduperson_assurance",
        "nationalities",
        "nationality",
        "country_of_residence",
        "address",
        "place_of_birth",
        "personal_title",
        "gender",
        "job_title",
        "phone_number",
        "affiliations",
        "organization_address",
        "organization_vat_code",
        "organization_registry_code",
        "organization_type",
        "organization_country",
        "organization",
        "registration_method",
        "username",
        "email",
        "full_name",
    ];
    doc["offerings"][0]["exposed_user_attributes"] = json!(all);
    doc["offering_users"][0]["service_provider_account"] = json!(ACCOUNT);
    doc["offering_users"][0]["runtime_state"] = json!("Pending account linking");
    let app = TestApp::new().await;
    let summary = import(&app, &doc).await.unwrap();
    assert_eq!(summary.of(Kind::ServiceProviderAccounts), (2, 0));

    // Stored in canonical order (docs/spec/offering-users-2026.md §4.3).
    let stored: Vec<String> =
        scalar(&app, "SELECT exposed_user_attributes FROM offerings WHERE name = 'Cluster A'").await;
    let canonical = waldur_offering_users::domain::user_attributes::ATTRIBUTE_NAMES.to_vec();
    assert_eq!(stored, canonical);
    let body = app.get(&detail(MINE), "staff-token").await.json();
    for (key, value) in profile.as_object().unwrap() {
        if key != "registration_method" {
            assert_eq!(&body[format!("user_{key}")], value, "{key}");
        }
    }
    assert_eq!(body["runtime_state"], "Pending account linking");
    assert_eq!(body["service_provider_account_username"], "mtester");
    assert_eq!(body.as_object().unwrap().len(), 58);

    // The same document again changes nothing.
    let again = import(&app, &doc).await.unwrap();
    for kind in [Kind::Users, Kind::Offerings, Kind::ServiceProviderAccounts, Kind::OfferingUsers] {
        assert_eq!(again.of(kind), (0, 0), "{kind}");
    }
    // A changed profile value and a dropped config are updates; the unset profile is back to defaults.
    let mut changed = doc.clone();
    changed["offerings"][0]["exposed_user_attributes"] = Value::Null;
    let member = changed["users"].as_array_mut().unwrap().iter_mut().find(|u| u["uuid"] == ids::MEMBER).unwrap();
    member["job_title"] = json!("Professor");
    let summary = import(&app, &changed).await.unwrap();
    assert_eq!((summary.of(Kind::Users), summary.of(Kind::Offerings)), ((0, 1), (0, 1)));
    let config: Option<Vec<String>> =
        scalar(&app, "SELECT exposed_user_attributes FROM offerings WHERE name = 'Cluster A'").await;
    assert_eq!(config, None);
    let job: String = scalar(&app, "SELECT job_title FROM users WHERE username = 'member'").await;
    assert_eq!(job, "Professor");
}

#[tokio::test]
async fn old_documents_leave_the_new_columns_at_their_defaults() {
    let app =
        TestApp::with(&world_with(vec![offering_user(MINE, ids::MEMBER, ids::OFFERING, None, "Requested")])).await;
    let row: (String, Option<i64>) =
        sqlx::query_as("SELECT runtime_state, service_provider_account_id FROM offering_users")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(row, ("Active".to_owned(), None));
    let profile: (String, Value, String) =
        sqlx::query_as("SELECT phone_number, affiliations, registration_method FROM users WHERE username = 'member'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(profile, (String::new(), json!([]), "default".to_owned()));
}

#[tokio::test]
async fn bad_links_and_clashes_name_their_path_and_write_nothing() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            {
                let mut d = doc();
                d["offering_users"][0]["service_provider_account"] = json!(OTHER_ACCOUNT);
                d
            },
            "offering_users[0].service_provider_account",
            "the account belongs to another user",
        ),
        (
            {
                let mut d = doc();
                d["offering_users"][1]["service_provider_account"] = json!(ACCOUNT);
                d
            },
            "offering_users[1].service_provider_account",
            "the account is at another customer than the offering's",
        ),
        (
            {
                let mut d = doc();
                d["offering_users"][0]["service_provider_account"] = json!("00000000000000000000000000000bff");
                d
            },
            "offering_users[0].service_provider_account",
            "no service provider account with uuid 00000000000000000000000000000bff",
        ),
        (
            {
                let mut d = doc();
                d["service_provider_accounts"][0]["customer"] = json!("00000000000000000000000000000cff");
                d
            },
            "service_provider_accounts[0].customer",
            "no customer with uuid 00000000000000000000000000000cff",
        ),
        (
            {
                let mut d = doc();
                d["offerings"][0]["exposed_user_attributes"] = json!(["email", "first_name"]);
                d
            },
            "offerings[0].exposed_user_attributes[1]",
            "unknown user attribute \"first_name\"",
        ),
        (
            {
                let mut d = doc();
                d["users"][0]["birth_date"] = json!("1990-13-01");
                d
            },
            "users[0].birth_date",
            "input is out of range",
        ),
        (
            {
                let mut d = doc();
                d["offering_users"][0]["runtime_state"] = json!(999);
                d
            },
            "offering_users[0].runtime_state",
            "invalid type: integer `999`, expected a string",
        ),
    ];
    for (doc, path, message) in cases {
        let app = TestApp::new().await;
        let (got_path, got_message) = error_of(import(&app, &doc).await);
        assert_eq!(got_path, path);
        assert!(got_message.starts_with(message), "{path}: {got_message}");
        let accounts: i64 = scalar(&app, "SELECT count(*) FROM service_provider_accounts").await;
        let users: i64 = scalar(&app, "SELECT count(*) FROM users").await;
        assert_eq!((accounts, users), (0, 0), "{path}: nothing written");
    }

    // A second account of the same user at the same customer, under another uuid, in a later document.
    let app = TestApp::new().await;
    import(&app, &doc()).await.unwrap();
    let mut clash = doc();
    clash["service_provider_accounts"][0]["uuid"] = json!("00000000000000000000000000000b03");
    let (path, message) = error_of(import(&app, &clash).await);
    assert_eq!(
        (path.as_str(), message.as_str()),
        ("service_provider_accounts[0]", "the user already has another account at this customer")
    );
}

#[tokio::test]
async fn a_reimport_keeps_the_runtime_state_unless_told_to_overwrite() {
    let app = TestApp::new().await;
    let mut doc = doc();
    doc["offering_users"][0]["runtime_state"] = json!("Pending additional validation");
    import(&app, &doc).await.unwrap();
    let state = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT runtime_state FROM offering_users WHERE uuid = $1::uuid")
                .bind(MINE)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(state(&app).await, "Pending additional validation");

    // The API's work (here by SQL, as update_runtime_state would) survives a plain re-import.
    sqlx::query("UPDATE offering_users SET runtime_state = 'Pending account linking' WHERE uuid = $1::uuid")
        .bind(MINE)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let summary = import(&app, &doc).await.unwrap();
    assert_eq!((summary.of(Kind::OfferingUsers), summary.left_alone), ((0, 0), 1));
    assert_eq!(state(&app).await, "Pending account linking");

    // A dry run with overwrite reports the change and writes nothing.
    let dry = ImportOptions { dry_run: true, overwrite_offering_users: true };
    assert_eq!(import_with(&app, &doc, dry).await.unwrap().of(Kind::OfferingUsers), (0, 1));
    assert_eq!(state(&app).await, "Pending account linking");

    // With overwrite: the document's value, audited with the old and new values.
    let overwrite = ImportOptions { dry_run: false, overwrite_offering_users: true };
    assert_eq!(import_with(&app, &doc, overwrite).await.unwrap().of(Kind::OfferingUsers), (0, 1));
    assert_eq!(state(&app).await, "Pending additional validation");
    let (old, new): (Value, Value) = sqlx::query_as(
        "SELECT old_values, new_values FROM audit_events WHERE offering_user_uuid = $1::uuid ORDER BY id DESC LIMIT 1",
    )
    .bind(MINE)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (old, new),
        (
            json!({"runtime_state": "Pending account linking"}),
            json!({"runtime_state": "Pending additional validation"})
        )
    );
}

#[tokio::test]
async fn the_provider_account_link_is_the_directorys_and_follows_every_import() {
    let app = TestApp::new().await;
    let mut doc = doc();
    import(&app, &doc).await.unwrap();
    doc["offering_users"][0]["service_provider_account"] = json!(ACCOUNT);
    let summary = import(&app, &doc).await.unwrap();
    assert_eq!(summary.of(Kind::OfferingUsers), (0, 1));
    let body = app.get(&detail(MINE), "staff-token").await.json();
    assert_eq!(body["service_provider_account_uuid"], ACCOUNT);
    let event: Value = sqlx::query_scalar(
        "SELECT new_values FROM audit_events WHERE offering_user_uuid = $1::uuid ORDER BY id DESC LIMIT 1",
    )
    .bind(MINE)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(event, json!({"service_provider_account": ACCOUNT}));
}
