//! [`Text`]: a request's string field that is a JSON string and nothing
//! else. poem-openapi's `String` also takes `1` and `true` as "1" and
//! "true", which the document (`type: string`) refuses: with `Text` the
//! server refuses them too (400), so client and server read one contract.

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Back to plain strings, where the checked request reaches the domain.
pub trait Plain {
    type Out;
    fn plain(self) -> Self::Out;
}

impl Plain for Text {
    type Out = String;
    fn plain(self) -> String {
        self.0
    }
}

impl Plain for Option<Text> {
    type Out = Option<String>;
    fn plain(self) -> Option<String> {
        self.map(|t| t.0)
    }
}

impl Plain for Vec<Text> {
    type Out = Vec<String>;
    fn plain(self) -> Vec<String> {
        self.into_iter().map(|t| t.0).collect()
    }
}

impl Plain for Option<Vec<Text>> {
    type Out = Option<Vec<String>>;
    fn plain(self) -> Option<Vec<String>> {
        self.map(Plain::plain)
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text(text.to_owned())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text(text)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(text) => Ok(Text(text)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::Text;
    use poem_openapi::types::ParseFromJSON;
    use serde_json::json;

    #[test]
    fn only_a_json_string_is_text() {
        assert_eq!(
            Text::parse_from_json(Some(json!("a"))).ok(),
            Some(Text::from("a"))
        );
        for not_text in [json!(false), json!(1), json!(null), json!([]), json!({})] {
            assert!(Text::parse_from_json(Some(not_text)).is_err());
        }
    }
}
