//! The committed `openapi/search.json` must match the code.
//! `UPDATE_OPENAPI=1 cargo test openapi` rewrites it.

#[test]
fn committed_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/search.json");
    let current = slotwise_web::docs::document(&slotwise_search::openapi_service()) + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &current).expect("write openapi/search.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "openapi/search.json is stale: run `UPDATE_OPENAPI=1 cargo test openapi`"
    );
}
