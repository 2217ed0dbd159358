//! Tool schemas as every client can read them. `schemars` writes what is correct JSON Schema
//! 2020-12; several MCP clients choke on parts of it, so each tool's schemas are rewritten
//! once, when the server starts:
//!
//! - `$ref`s are inlined and `$defs` dropped (some clients cannot resolve references);
//! - `"type": ["T", "null"]` becomes `"type": "T"` and `anyOf: [X, {"type": "null"}]`
//!   becomes `X` (Gemini-style clients reject type arrays; an absent field already means
//!   "none", since optional fields are not required);
//! - `"default": null` and `$schema` go (noise);
//! - integer `format`s go (`uint32`, `int64`: not understood by most clients);
//! - output schemas type the answer's own fields and keep the shape without the prose: no
//!   descriptions, patterns or bounds, open enums (a venue adds values), only the fields an
//!   answer always has (the optional ones stay allowed, since objects are open), and objects
//!   nested inside described as objects. Answers leave null fields out, so a field that may
//!   be null is never required. All this keeps the whole `tools/list` small.
//! - input descriptions stay, but not the ones that only restate a field's name.

use serde_json::{Map, Value};

/// How deep references are followed (our types are not recursive; this stops a cycle).
const MAX_DEPTH: usize = 32;

fn resolve(defs: &Map<String, Value>, reference: &str) -> Option<Value> {
    reference
        .strip_prefix("#/$defs/")
        .or_else(|| reference.strip_prefix("#/definitions/"))
        .and_then(|name| defs.get(name))
        .cloned()
}

fn is_null_schema(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("null")
        || value.get("const").is_some_and(Value::is_null)
}

/// `anyOf`/`oneOf` with a null option loses it (and collapses when one option is left).
/// Returns whether anything changed.
fn unwrap_nullable(map: &mut Map<String, Value>) -> bool {
    let mut changed = false;
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(options)) = map.get(key) else {
            continue;
        };
        let kept: Vec<Value> = options
            .iter()
            .filter(|o| !is_null_schema(o))
            .cloned()
            .collect();
        if kept.len() == options.len() {
            continue;
        }
        changed = true;
        if kept.len() == 1 {
            map.remove(key);
            if let Some(Value::Object(only)) = kept.into_iter().next() {
                for (k, v) in only {
                    map.entry(k).or_insert(v);
                }
            }
        } else {
            map.insert(key.into(), Value::Array(kept));
        }
    }
    changed
}

/// Replaces a `$ref` by what it refers to (keeping the fields written next to it, such as
/// the field's description). Returns whether there was one.
fn inline_reference(map: &mut Map<String, Value>, defs: &Map<String, Value>) -> bool {
    let Some(Value::String(reference)) = map.remove("$ref") else {
        return false;
    };
    if let Some(Value::Object(target)) = resolve(defs, &reference) {
        for (key, item) in target {
            map.entry(key).or_insert(item);
        }
    }
    true
}

/// Whether a schema admits `null` (a type array with `"null"`, or a null option).
fn is_nullable(value: &Value) -> bool {
    let null_type = value
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("null")));
    let null_option = ["anyOf", "oneOf"].iter().any(|key| {
        value
            .get(*key)
            .and_then(Value::as_array)
            .is_some_and(|options| options.iter().any(is_null_schema))
    });
    null_type || null_option
}

/// `oneOf` / `anyOf` whose options are all string constants (an enum with documented
/// variants) becomes a plain string `enum`. Returns whether anything changed.
fn collapse_constants(map: &mut Map<String, Value>) -> bool {
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(options)) = map.get(key) else {
            continue;
        };
        let constants: Option<Vec<Value>> = options
            .iter()
            .map(|option| match option.get("const") {
                Some(Value::String(text)) => Some(Value::String(text.clone())),
                _ => None,
            })
            .collect();
        if let Some(constants) = constants
            && !constants.is_empty()
        {
            map.remove(key);
            map.insert("type".into(), Value::String("string".into()));
            map.insert("enum".into(), Value::Array(constants));
            return true;
        }
    }
    false
}

/// Annotations an output schema does without (a client validates shapes, not prose).
const OUTPUT_ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "pattern",
    "examples",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "default",
    "additionalProperties",
];

fn simplify(value: &mut Value, defs: &Map<String, Value>, output: bool, depth: usize) {
    match value {
        Value::Array(items) => {
            for item in items {
                simplify(item, defs, output, depth);
            }
        }
        Value::Object(map) => {
            let mut hops = depth;
            while unwrap_nullable(map) || (hops < MAX_DEPTH && inline_reference(map, defs)) {
                hops += 1;
            }
            collapse_constants(map);
            map.remove("$schema");
            map.remove("$defs");
            map.remove("definitions");
            if map.get("default").is_some_and(Value::is_null) {
                map.remove("default");
            }
            if output {
                for key in OUTPUT_ANNOTATIONS {
                    map.remove(*key);
                }
            } else {
                // Decimal strings: the description says what the field is; the pattern only
                // repeats "a number" in every decimal field.
                map.remove("pattern");
            }
            if let Some(Value::String(format)) = map.get("format")
                && (format.starts_with("int")
                    || format.starts_with("uint")
                    || format == "double"
                    || format == "float")
            {
                map.remove("format");
            }
            if let Some(Value::Array(types)) = map.get("type") {
                let kept: Vec<Value> = types
                    .iter()
                    .filter(|t| t.as_str() != Some("null"))
                    .cloned()
                    .collect();
                if kept.len() == 1 {
                    map.insert(
                        "type".into(),
                        kept.into_iter().next().unwrap_or(Value::Null),
                    );
                } else {
                    map.insert("type".into(), Value::Array(kept));
                }
            }
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            // Enums of answers are open: a value the venue adds later must still validate.
            if output && map.get("type").and_then(Value::as_str) == Some("string") {
                map.remove("enum");
            }
            let mut nullable: Vec<String> = Vec::new();
            for (key, item) in map.iter_mut() {
                // Property names and enum values are data, not schemas.
                if key == "enum" || key == "const" || key == "required" || key == "examples" {
                    continue;
                }
                if key == "properties" {
                    if let Value::Object(properties) = item {
                        for (name, property) in properties.iter_mut() {
                            if is_nullable(property) {
                                nullable.push(name.clone());
                            }
                            simplify(property, defs, output, hops);
                        }
                    }
                    continue;
                }
                simplify(item, defs, output, hops);
            }
            // Answers leave out null fields (see `tools::structured`), so a field that may be
            // null is not required.
            if output
                && !nullable.is_empty()
                && let Some(Value::Array(required)) = map.get_mut("required")
            {
                required.retain(|name| {
                    name.as_str()
                        .is_none_or(|n| !nullable.iter().any(|x| x == n))
                });
                if required.is_empty() {
                    map.remove("required");
                }
            }
            // An answer's schema names the fields it always has; the optional ones stay allowed
            // (no `additionalProperties: false`) without being spelled out in every listing.
            if output
                && let Some(Value::Array(required)) = map.get("required").cloned()
                && let Some(Value::Object(properties)) = map.get_mut("properties")
            {
                properties
                    .retain(|name, _| required.iter().any(|r| r.as_str() == Some(name.as_str())));
            }
        }
        _ => {}
    }
}

/// Input field descriptions this short only restate the field's name ("Limit price.").
const SHORT_DESCRIPTION: usize = 16;

/// Drops input descriptions that say nothing the name and the enum do not (see
/// [`SHORT_DESCRIPTION`]); the root's and the tool's own descriptions stay.
fn drop_obvious_descriptions(value: &mut Value, root: bool) {
    match value {
        Value::Object(map) => {
            let obvious = map
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|text| {
                    text.chars().count() <= SHORT_DESCRIPTION
                        || (map.contains_key("enum") && text.chars().count() <= 40)
                });
            if obvious && !root {
                map.remove("description");
            }
            for (key, item) in map.iter_mut() {
                if key != "enum" && key != "const" && key != "required" {
                    drop_obvious_descriptions(item, false);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| drop_obvious_descriptions(item, false)),
        _ => {}
    }
}

/// Objects nested in an answer are described as objects: the answer's own fields are typed,
/// their insides are the SDK types documented with the crates (this keeps `tools/list`
/// small; the answers themselves are complete).
fn collapse_nested(value: &mut Value, depth: usize) {
    let Value::Object(map) = value else { return };
    if depth > 0 && map.get("type").and_then(Value::as_str) == Some("object") {
        map.retain(|key, _| key == "type");
        return;
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for property in properties.values_mut() {
            collapse_nested(property, depth + 1);
        }
    }
    if let Some(items) = map.get_mut("items") {
        collapse_nested(items, depth.max(1));
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(options)) = map.get_mut(key) {
            for option in options {
                collapse_nested(option, depth);
            }
        }
    }
}

/// Rewrites a tool's input (`output = false`) or output schema in place (see the module
/// docs).
pub fn simplify_schema(schema: &mut Map<String, Value>, output: bool) {
    let defs = match schema.get("$defs").or_else(|| schema.get("definitions")) {
        Some(Value::Object(defs)) => defs.clone(),
        _ => Map::new(),
    };
    let mut value = Value::Object(std::mem::take(schema));
    simplify(&mut value, &defs, output, 0);
    if output {
        collapse_nested(&mut value, 0);
    } else {
        drop_obvious_descriptions(&mut value, true);
    }
    if let Value::Object(map) = value {
        *schema = map;
    }
}

/// Whether a schema still holds anything a strict client rejects (used by the tests).
pub fn portability_problems(value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    fn walk(value: &Value, path: &str, problems: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    let here = format!("{path}/{key}");
                    match (key.as_str(), item) {
                        ("$ref" | "$defs", _) => problems.push(format!("{here}: reference")),
                        ("type", Value::Array(_)) => problems.push(format!("{here}: type array")),
                        ("nullable", _) => problems.push(format!("{here}: nullable")),
                        _ => {}
                    }
                    walk(item, &here, problems);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}/{index}"), problems);
                }
            }
            _ => {}
        }
    }
    walk(value, "", &mut problems);
    problems
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    #[test]
    fn references_nulls_and_formats_are_rewritten() {
        let mut schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "side": { "$ref": "#/$defs/Side", "description": "Buy or sell." },
                "limit": { "type": ["integer", "null"], "format": "uint32", "default": null },
                "price": { "anyOf": [{ "$ref": "#/$defs/Price" }, { "type": "null" }], "description": "Limit price." }
            },
            "required": ["side"],
            "$defs": {
                "Side": { "type": "string", "enum": ["Bid", "Ask"] },
                "Price": { "type": "string", "pattern": "^[0-9.]+$" }
            }
        })
        .as_object()
        .unwrap()
        .clone();
        simplify_schema(&mut schema, false);
        let expected = json!({
            "type": "object",
            "properties": {
                "side": { "type": "string", "enum": ["Bid", "Ask"] },
                "limit": { "type": "integer" },
                "price": { "type": "string" }
            },
            "required": ["side"]
        });
        assert_eq!(Value::Object(schema.clone()), expected);
        assert!(portability_problems(&Value::Object(schema)).is_empty());
    }

    #[test]
    fn answers_type_their_own_fields_and_describe_nested_objects_as_objects() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "count": { "type": "integer" },
                "items": { "type": "array", "items": { "type": "object", "properties": { "id": { "type": "string" } }, "required": ["id"] } }
            },
            "required": ["count", "items"]
        })
        .as_object()
        .unwrap()
        .clone();
        simplify_schema(&mut schema, true);
        assert_eq!(
            schema["properties"]["items"],
            json!({ "type": "array", "items": { "type": "object" } })
        );
        assert_eq!(schema["properties"]["count"], json!({ "type": "integer" }));
    }

    #[test]
    fn documented_enums_become_plain_string_enums() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "tif": { "oneOf": [
                    { "const": "DAY", "type": "string", "description": "Until the end of the day." },
                    { "const": "GTC", "type": "string", "description": "Until cancelled." }
                ] }
            }
        })
        .as_object()
        .unwrap()
        .clone();
        let mut output = schema.clone();
        simplify_schema(&mut schema, false);
        assert_eq!(
            schema["properties"]["tif"],
            json!({ "type": "string", "enum": ["DAY", "GTC"] })
        );
        simplify_schema(&mut output, true);
        assert_eq!(
            output["properties"]["tif"],
            json!({ "type": "string" }),
            "answers' enums are open"
        );
    }

    #[test]
    fn output_schemas_lose_field_descriptions() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "id": { "type": "string", "description": "Order id.", "pattern": "^[0-9]+$" },
                "price": { "type": ["string", "null"] }
            },
            "required": ["id", "price"]
        })
        .as_object()
        .unwrap()
        .clone();
        simplify_schema(&mut schema, true);
        let expected = json!({
            "type": "object",
            "properties": { "id": { "type": "string" } },
            "required": ["id"]
        });
        assert_eq!(Value::Object(schema), expected);
    }
}
