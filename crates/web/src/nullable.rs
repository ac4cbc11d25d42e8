//! The OpenAPI document as the server reads requests: poem-openapi takes
//! `null` for any optional field (and may write it in answers), but its
//! document says only "not required". Every optional property of every
//! component schema is marked `nullable` here, so a client generated from
//! the document, or a fuzzer, expects what the server does.

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

/// `spec`, a document poem-openapi wrote, with optional properties nullable.
pub fn mark_optional_nullable(spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Json>(spec) else {
        return spec.to_owned();
    };
    if let Json::Object(root) = &mut doc
        && let Some(Json::Object(components)) = root.get_mut("components")
        && let Some(Json::Object(schemas)) = components.get_mut("schemas")
    {
        for schema in schemas.values_mut() {
            mark_schema(schema);
        }
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| spec.to_owned())
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
    use super::mark_optional_nullable;

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
