//! The health checks in the document.

use serde_json::json;

use super::{json_response, Paths};
use crate::http::health;

/// `GET /health/live` and `GET /health/ready`: public, outside the request guard.
pub(super) fn health_operations(paths: &mut Paths) {
    let check = json!({"type": "string", "description": "\"ok\", or why the check failed."});
    let readiness = json!({
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "checks": {
                "type": "object",
                "required": ["database", "migrations"],
                "properties": {"database": check, "migrations": check},
            },
        },
    });
    paths.add(
        health::LIVE_PATH,
        "get",
        json!({
            "operationId": "health_live_retrieve",
            "summary": "Liveness: 200 while the process serves requests",
            "tags": ["health"],
            "security": [],
            "responses": {"200": json_response(
                "The process serves requests.",
                json!({"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}}}),
            )},
        }),
    );
    paths.add(
        health::READY_PATH,
        "get",
        json!({
            "operationId": "health_ready_retrieve",
            "summary": "Readiness: PostgreSQL answers and every migration this release knows is applied",
            "description": "Read from the outage monitor's last probe (at most a second old), so polling \
                it takes no database connection. A schema migrated further by a newer release counts \
                as ready.",
            "tags": ["health"],
            "security": [],
            "responses": {
                "200": json_response("Ready.", readiness.clone()),
                "503": json_response("Not ready; the failed check says why.", readiness),
            },
        }),
    );
}
