//! A parsed candidate record, and tolerant access to the shapes CloudTrail
//! has used over the years (scalars or one-element arrays, objects or arrays,
//! `Host` or `host`).

use serde::Deserialize;
use serde_json::Value;

/// The parts of a CloudTrail record that the rules and findings read.
/// Everything is optional: old records lack fields, and a missing field must
/// never make a record unreadable.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Record {
    #[serde(default)]
    pub event_source: Option<Value>,
    #[serde(default)]
    pub event_name: Option<Value>,
    #[serde(default, rename = "eventID")]
    pub event_id: Option<Value>,
    #[serde(default)]
    pub event_time: Option<Value>,
    #[serde(default)]
    pub aws_region: Option<Value>,
    #[serde(default)]
    pub recipient_account_id: Option<Value>,
    #[serde(default)]
    pub error_code: Option<Value>,
    #[serde(default)]
    pub error_message: Option<Value>,
    #[serde(default)]
    pub user_identity: Option<Value>,
    #[serde(default, rename = "sourceIPAddress")]
    pub source_ip_address: Option<Value>,
    #[serde(default)]
    pub user_agent: Option<Value>,
    #[serde(default)]
    pub request_parameters: Option<Value>,
    #[serde(default)]
    pub resources: Option<Value>,
    #[serde(default)]
    pub additional_event_data: Option<Value>,
    #[serde(default)]
    pub response_elements: Option<Value>,
}

impl Record {
    /// Whether the call failed: a denied or invalid call changed nothing.
    pub fn failed(&self) -> bool {
        let present = |v: &Option<Value>| v.as_ref().is_some_and(|v| !is_empty(v));
        present(&self.error_code) || present(&self.error_message)
    }

    /// `requestParameters`, or `Null` when absent.
    pub fn params(&self) -> &Value {
        self.request_parameters.as_ref().unwrap_or(&Value::Null)
    }

    /// The account the event belongs to.
    pub fn account(&self) -> String {
        opt_text(&self.recipient_account_id)
            .or_else(|| {
                self.user_identity
                    .as_ref()
                    .and_then(|u| field_text(u, "accountId"))
            })
            .unwrap_or_default()
            .to_owned()
    }

    /// Who made the call: an ARN where CloudTrail logged one.
    pub fn actor_arn(&self) -> String {
        let Some(identity) = &self.user_identity else {
            return String::new();
        };
        ["arn", "invokedBy", "principalId", "userName"]
            .iter()
            .find_map(|k| field_text(identity, k))
            .unwrap_or_default()
            .to_owned()
    }

    /// `userIdentity.type`.
    pub fn actor_type(&self) -> String {
        self.user_identity
            .as_ref()
            .and_then(|u| field_text(u, "type"))
            .unwrap_or_default()
            .to_owned()
    }
}

/// True for null, an empty string, or an empty array.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.iter().all(is_empty),
        _ => false,
    }
}

/// The value itself, or the element of a one-element array.
pub(crate) fn scalar(v: &Value) -> &Value {
    match v {
        Value::Array(items) if items.len() == 1 => &items[0],
        other => other,
    }
}

/// A string value, unwrapping a one-element array.
pub(crate) fn text(v: &Value) -> Option<&str> {
    scalar(v).as_str()
}

/// A string from an optional top-level field.
pub(crate) fn opt_text(v: &Option<Value>) -> Option<&str> {
    v.as_ref().and_then(text)
}

/// Looks a key up case-insensitively (`Host`/`host`, header names, IAM keys).
pub(crate) fn field<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    let map = scalar(object).as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// `field`, then `text`.
pub(crate) fn field_text<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    field(object, key).and_then(text)
}

/// The elements of an array, or the value itself when it is not an array
/// (`Grant`, `Statement`, `Action` and principals come in both forms).
pub(crate) fn one_or_many(v: &Value) -> impl Iterator<Item = &Value> {
    let items: &[Value] = match v {
        Value::Array(items) => items,
        Value::Null => &[],
        other => std::slice::from_ref(other),
    };
    items.iter()
}

/// A value as a fixed string for comparison: strings as they are, numbers and
/// booleans printed; objects and arrays have no string form.
pub(crate) fn as_plain_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
