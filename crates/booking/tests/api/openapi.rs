//! The committed `openapi/booking.json` must match the code.
//! `UPDATE_OPENAPI=1 cargo test openapi` rewrites it.

#[test]
fn committed_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/booking.json");
    let current = slotwise_booking::openapi_service().spec() + "\n";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &current).expect("write openapi/booking.json");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "openapi/booking.json is stale: run `UPDATE_OPENAPI=1 cargo test openapi`"
    );
}
