//! The committed `openapi/booking.json` must match the code.
//! `UPDATE_OPENAPI=1 cargo test openapi` rewrites it.

#[test]
fn committed_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/booking.json");
    let current = slotwise_web::docs::document(&slotwise_booking::openapi_service()) + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &current).expect("write openapi/booking.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "openapi/booking.json is stale: run `UPDATE_OPENAPI=1 cargo test openapi`"
    );
}

/// A uuid in the path answers 400 when malformed, so every operation with one
/// says so (schemathesis found four that did not). An id-or-slug is a lookup:
/// a malformed one is simply not found.
#[test]
fn every_operation_with_a_uuid_in_its_path_documents_its_400() {
    let spec: serde_json::Value = serde_json::from_str(&slotwise_web::docs::document(
        &slotwise_booking::openapi_service(),
    ))
    .expect("json");
    let mut missing = Vec::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let has_path_param = (op["parameters"].as_array()).is_some_and(|ps| {
                (ps.iter()).any(|p| p["in"] == "path" && p["schema"]["format"] == "uuid")
            });
            if has_path_param && op["responses"].get("400").is_none() {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(missing.is_empty(), "no 400 documented: {missing:?}");
}
