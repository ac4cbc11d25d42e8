//! The OpenAPI document as the server reads requests, where poem-openapi's
//! own says less:
//! - it takes `null` for any optional field (and may write it in answers),
//!   but its document says only "not required": every optional property of
//!   every component schema is marked `nullable`;
//! - an `Idempotency-Key` is read as an optional header so that a missing
//!   one gets its own problem code (`idempotency_key_missing`), but every
//!   operation with one refuses to go without: the document says required,
//!   1 to 255 printable ASCII characters (optionally quoted, spaces around).
//!
//! So a client generated from the document, or a fuzzer, expects what the
//! server does.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// JSON whose objects keep their order (the document stays as poem wrote it).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Json {
    Object(IndexMap<String, Json>),
    Array(Vec<Json>),
    Scalar(serde_json::Value),
}

/// What the server checks of an `Idempotency-Key` (`IdempotencyKey::parse`
/// in the booking crate), never stricter than it.
pub const IDEMPOTENCY_KEY_PATTERN: &str = r#"^\s*"?[\x20-\x7E]{1,255}"?\s*$"#;

/// `spec`, a document poem-openapi wrote, as the server reads requests.
pub fn as_served(spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Json>(spec) else {
        return spec.to_owned();
    };
    mark_optional_nullable(&mut doc);
    require_idempotency_keys(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| spec.to_owned())
}

fn text(s: &str) -> Json {
    Json::Scalar(serde_json::Value::String(s.to_owned()))
}

fn require_idempotency_keys(doc: &mut Json) {
    let Json::Object(root) = doc else { return };
    let Some(Json::Object(paths)) = root.get_mut("paths") else {
        return;
    };
    for operations in paths.values_mut() {
        let Json::Object(operations) = operations else {
            continue;
        };
        for operation in operations.values_mut() {
            let Json::Object(operation) = operation else {
                continue;
            };
            let Some(Json::Array(parameters)) = operation.get_mut("parameters") else {
                continue;
            };
            for parameter in parameters.iter_mut() {
                let Json::Object(p) = parameter else { continue };
                let is_key = matches!(p.get("name"), Some(Json::Scalar(serde_json::Value::String(n))) if n == "Idempotency-Key");
                if !is_key {
                    continue;
                }
                p.insert(
                    "required".to_owned(),
                    Json::Scalar(serde_json::Value::Bool(true)),
                );
                let mut schema = IndexMap::new();
                schema.insert("type".to_owned(), text("string"));
                schema.insert("pattern".to_owned(), text(IDEMPOTENCY_KEY_PATTERN));
                p.insert("schema".to_owned(), Json::Object(schema));
            }
        }
    }
}

fn mark_optional_nullable(doc: &mut Json) {
    if let Json::Object(root) = doc
        && let Some(Json::Object(components)) = root.get_mut("components")
        && let Some(Json::Object(schemas)) = components.get_mut("schemas")
    {
        for schema in schemas.values_mut() {
            mark_schema(schema);
        }
    }
}

fn mark_schema(schema: &mut Json) {
    let Json::Object(schema) = schema else {
        return;
    };
    let required: Vec<String> = match schema.get("required") {
        Some(Json::Array(names)) => names
            .iter()
            .filter_map(|n| match n {
                Json::Scalar(serde_json::Value::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let Some(Json::Object(properties)) = schema.get_mut("properties") else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if required.contains(name) {
            continue;
        }
        let Json::Object(fields) = property else {
            continue;
        };
        // `nullable` beside a `$ref` is ignored by OpenAPI 3.0: wrap it.
        if let Some(reference) = fields.shift_remove("$ref") {
            let mut one = IndexMap::new();
            one.insert("$ref".to_owned(), reference);
            fields.insert("allOf".to_owned(), Json::Array(vec![Json::Object(one)]));
        }
        fields.insert(
            "nullable".to_owned(),
            Json::Scalar(serde_json::Value::Bool(true)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::as_served as mark_optional_nullable;

    #[test]
    fn optional_properties_become_nullable_and_order_is_kept() {
        let spec = r##"{"components":{"schemas":{"A":{"type":"object","required":["z"],"properties":{"z":{"type":"string"},"b":{"type":"string"},"c":{"$ref":"#/components/schemas/B"}}}}}}"##;
        let out: serde_json::Value =
            serde_json::from_str(&mark_optional_nullable(spec)).expect("json");
        let a = &out["components"]["schemas"]["A"]["properties"];
        assert_eq!(a["z"].get("nullable"), None);
        assert_eq!(a["b"]["nullable"], true);
        assert_eq!(a["c"]["allOf"][0]["$ref"], "#/components/schemas/B");
        assert_eq!(a["c"]["nullable"], true);
        let text = mark_optional_nullable(spec);
        assert!(text.find("\"z\"") < text.find("\"b\""), "{text}");
    }
}

#[cfg(test)]
mod key_tests {
    use super::as_served;

    #[test]
    fn an_idempotency_key_is_documented_as_required_with_its_form() {
        let spec = r#"{"paths":{"/x":{"post":{"parameters":[{"name":"Idempotency-Key","in":"header","required":false,"schema":{"type":"string"}}]}}}}"#;
        let out: serde_json::Value = serde_json::from_str(&as_served(spec)).expect("json");
        let p = &out["paths"]["/x"]["post"]["parameters"][0];
        assert_eq!(p["required"], true);
        assert_eq!(p["schema"]["pattern"], super::IDEMPOTENCY_KEY_PATTERN);
    }
}
