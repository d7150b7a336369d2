//! Checking given field values against their declarations.

use super::Engine;
use crate::compile::FieldType;
use crate::expr::limits;
use crate::runtime::Rejection;
use serde_json::{Map, Value};

impl Engine {
    /// Type-checks one given field value against its declaration.
    pub(crate) fn check_field(&self, name: &str, value: &Value) -> Result<Value, Rejection> {
        let Some(def) = self.policy.field(name) else {
            let derived_only = self.policy.derived.iter().any(|d| d.name == name);
            if derived_only {
                return Ok(value.clone());
            }
            let names = self.policy.fields.iter().map(|f| f.name.as_str());
            return Err(Rejection::UnknownField {
                field: name.to_string(),
                hint: crate::check::did_you_mean(name, names),
            });
        };
        self.check_value(def, name, value)
    }

    /// Checks `value` against the declared field `def` (named `name`).
    pub(super) fn check_value(
        &self,
        def: &crate::compile::FieldDef,
        name: &str,
        value: &Value,
    ) -> Result<Value, Rejection> {
        let wrong = |expected: &str| Rejection::WrongType {
            field: name.to_string(),
            expected: expected.to_string(),
            got: type_name(value).to_string(),
        };
        // Conditions read lists and maps through the expression sandbox, whose limits would
        // refuse a larger one at every evaluation: it is refused here, once, naming the field.
        let fits = || {
            let sizes = crate::expr::sandbox_sizes(value);
            if sizes.exceeds_limits() {
                return Err(Rejection::WrongType {
                    field: name.to_string(),
                    expected: format!(
                        "at most {} list entries, {} map entries and {} bytes of text in all",
                        limits::MAX_ARRAY_SIZE,
                        limits::MAX_MAP_SIZE,
                        limits::MAX_STRING_SIZE
                    ),
                    got: sizes.to_string(),
                });
            }
            Ok(value.clone())
        };
        match (&def.ty, value) {
            (FieldType::String, Value::String(_))
            | (FieldType::Number, Value::Number(_))
            | (FieldType::Bool, Value::Bool(_)) => Ok(value.clone()),
            (FieldType::Map, Value::Object(_)) => fits(),
            (FieldType::Int, Value::Number(n)) => match n.as_i64() {
                Some(_) => Ok(value.clone()),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::from(f as i64)),
                    _ => Err(wrong("a whole number")),
                },
            },
            (FieldType::List, Value::Array(items)) => {
                if items.iter().all(Value::is_string) {
                    fits()
                } else {
                    Err(wrong("a list of strings"))
                }
            }
            (FieldType::Enum(values), Value::String(s)) => {
                if values.iter().any(|v| v == s) {
                    Ok(value.clone())
                } else {
                    Err(Rejection::NotInEnum {
                        field: name.to_string(),
                        value: s.clone(),
                        allowed: values.clone(),
                    })
                }
            }
            (FieldType::String | FieldType::Enum(_), _) => Err(wrong("a string")),
            (FieldType::Number, _) => Err(wrong("a number")),
            (FieldType::Int, _) => Err(wrong("a whole number")),
            (FieldType::Bool, _) => Err(wrong("true or false")),
            (FieldType::List, _) => Err(wrong("a list")),
            (FieldType::Map, _) => Err(wrong("a map")),
        }
    }
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

pub(super) fn neutral(ty: &FieldType) -> Value {
    match ty {
        FieldType::String | FieldType::Enum(_) => Value::String(String::new()),
        FieldType::Number | FieldType::Int => Value::from(0),
        FieldType::Bool => Value::Bool(false),
        FieldType::List => Value::Array(vec![]),
        FieldType::Map => Value::Object(Map::new()),
    }
}
