//! Making a server's tool schema acceptable to every provider: some reject `$ref`, `oneOf`, `format`
//! or a top level that is not a plain object, and a rejected schema fails the whole request, not just
//! the one tool. The result is looser than the original where it has to be; the server still checks
//! the arguments it receives.

use serde_json::{Map, Value};

/// How deep `$ref`s are followed before the schema is loosened instead (recursive types).
const MAX_REF_DEPTH: usize = 8;

/// Keywords dropped everywhere: metadata providers reject or that carries no constraint a model needs.
const DROPPED: &[&str] = &["$schema", "$id", "$comment", "format", "examples", "$anchor", "$dynamicRef"];

/// `schema` made safe to send: a top-level object with `type: "object"` and `properties`, `$ref`s
/// resolved inline from `$defs`/`definitions` (a reference that cannot be resolved, or a recursive one,
/// becomes an unconstrained schema), `oneOf`/`anyOf`/`allOf` merged into one schema, and `format`,
/// `$schema`, `$id` and `default`s that do not match their `type` removed.
pub fn sanitize(schema: &Value) -> Value {
    let defs = collect_defs(schema);
    let mut cleaned = clean(schema, &defs, 0);
    let object = match cleaned.as_object_mut() {
        Some(object) => object,
        None => return empty_object_schema(),
    };
    if object.get("type").and_then(Value::as_str) != Some("object") {
        // A top level that is not an object (or has no type) cannot be a tool's arguments; keep its
        // properties if it has any.
        object.insert("type".into(), Value::String("object".into()));
    }
    if !object.get("properties").is_some_and(Value::is_object) {
        object.insert("properties".into(), Value::Object(Map::new()));
    }
    if let Some(required) = object.get("required")
        && !required.is_array()
    {
        object.remove("required");
    }
    cleaned
}

fn empty_object_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

fn collect_defs(schema: &Value) -> Map<String, Value> {
    let mut defs = Map::new();
    for key in ["definitions", "$defs"] {
        if let Some(Value::Object(table)) = schema.get(key) {
            for (name, def) in table {
                defs.insert(format!("#/{key}/{name}"), def.clone());
            }
        }
    }
    defs
}

fn clean(schema: &Value, defs: &Map<String, Value>, depth: usize) -> Value {
    let Some(object) = schema.as_object() else {
        // `true`, `false` or garbage: as a schema, anything goes.
        return Value::Object(Map::new());
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        return match defs.get(reference) {
            Some(target) if depth < MAX_REF_DEPTH => {
                let mut resolved = clean(target, defs, depth + 1);
                // Sibling keywords (a description next to the `$ref`) win over the target's.
                if let (Some(resolved), Value::Object(siblings)) =
                    (resolved.as_object_mut(), clean_siblings(object, defs, depth))
                {
                    resolved.extend(siblings);
                }
                resolved
            }
            _ => describe_only(object),
        };
    }
    let mut out = Map::new();
    for (key, value) in object {
        if DROPPED.contains(&key.as_str()) || key == "definitions" || key == "$defs" || key == "default" {
            continue;
        }
        match key.as_str() {
            "properties" | "patternProperties" => {
                if let Value::Object(props) = value {
                    let props = props.iter().map(|(k, v)| (k.clone(), clean(v, defs, depth))).collect();
                    out.insert(key.clone(), Value::Object(props));
                }
            }
            "items" | "additionalProperties" | "not" | "contains" => {
                if value.is_boolean() {
                    out.insert(key.clone(), value.clone());
                } else if key != "not" {
                    out.insert(key.clone(), clean(value, defs, depth));
                }
            }
            "oneOf" | "anyOf" | "allOf" => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(variants)) = object.get(key) {
            merge_variants(&mut out, variants, defs, depth, key == "allOf");
        }
    }
    if let Some(default) = object.get("default")
        && default_matches(&out, default)
    {
        out.insert("default".into(), default.clone());
    }
    Value::Object(out)
}

fn clean_siblings(object: &Map<String, Value>, defs: &Map<String, Value>, depth: usize) -> Value {
    let mut siblings = object.clone();
    siblings.remove("$ref");
    clean(&Value::Object(siblings), defs, depth)
}

/// An unconstrained schema that keeps the description, for a reference braid cannot follow.
fn describe_only(object: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    if let Some(description) = object.get("description") {
        out.insert("description".into(), description.clone());
    }
    Value::Object(out)
}

/// Folds `oneOf`/`anyOf`/`allOf` variants into `out`. Object variants contribute their properties (all
/// of them optional unless `all` says every variant applies); a single shared `type` is kept, and
/// variants of different types leave the type open.
fn merge_variants(
    out: &mut Map<String, Value>,
    variants: &[Value],
    defs: &Map<String, Value>,
    depth: usize,
    all: bool,
) {
    let cleaned: Vec<Value> = variants.iter().map(|v| clean(v, defs, depth)).collect();
    let mut types: Vec<Value> = Vec::new();
    for variant in &cleaned {
        let Some(variant) = variant.as_object() else { continue };
        match variant.get("type") {
            Some(t) if !types.contains(t) => types.push(t.clone()),
            Some(_) => {}
            // A variant without a type (only `required`, say) says nothing about the type.
            None => {}
        }
        if let Some(Value::Object(props)) = variant.get("properties") {
            let target = out.entry("properties").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(target) = target {
                for (name, prop) in props {
                    target.entry(name.clone()).or_insert_with(|| prop.clone());
                }
            }
        }
        if all && let Some(Value::Array(required)) = variant.get("required") {
            let target = out.entry("required").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(target) = target {
                for name in required {
                    if !target.contains(name) {
                        target.push(name.clone());
                    }
                }
            }
        }
        if !out.contains_key("description")
            && let Some(description) = variant.get("description")
        {
            out.insert("description".into(), description.clone());
        }
        for key in ["enum", "items"] {
            if cleaned.len() == 1
                && let Some(value) = variant.get(key)
            {
                out.entry(key).or_insert_with(|| value.clone());
            }
        }
    }
    if !out.contains_key("type") && types.len() == 1 {
        out.insert("type".into(), types.remove(0));
    }
}

/// Whether `default` has the JSON type the schema declares (any default fits an untyped schema).
fn default_matches(schema: &Map<String, Value>, default: &Value) -> bool {
    let fits = |t: &str| match t {
        "string" => default.is_string(),
        "integer" => default.is_i64() || default.is_u64(),
        "number" => default.is_number(),
        "boolean" => default.is_boolean(),
        "array" => default.is_array(),
        "object" => default.is_object(),
        "null" => default.is_null(),
        _ => false,
    };
    match schema.get("type") {
        None => true,
        Some(Value::String(t)) => fits(t),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).any(fits),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(input: Value, expected: Value) {
        assert_eq!(sanitize(&input), expected, "sanitising {input}");
    }

    #[test]
    fn schemas_are_made_acceptable() {
        // The top level becomes an object with properties.
        check(json!({}), json!({"type": "object", "properties": {}}));
        check(json!(true), json!({"type": "object", "properties": {}}));
        check(json!({"type": "object"}), json!({"type": "object", "properties": {}}));
        // Metadata keywords go, at every level.
        check(
            json!({"$schema": "http://json-schema.org/draft-07/schema#", "$id": "x", "type": "object",
                   "properties": {"when": {"type": "string", "format": "date-time"}}, "required": ["when"]}),
            json!({"type": "object", "properties": {"when": {"type": "string"}}, "required": ["when"]}),
        );
        // Defaults stay only when they match the type.
        check(
            json!({"type": "object", "properties": {
                "n": {"type": "integer", "default": "ten"},
                "m": {"type": "integer", "default": 10},
                "s": {"type": ["string", "null"], "default": null}}}),
            json!({"type": "object", "properties": {
                "n": {"type": "integer"},
                "m": {"type": "integer", "default": 10},
                "s": {"type": ["string", "null"], "default": null}}}),
        );
        // References are resolved inline, siblings win, and the definitions go.
        check(
            json!({"type": "object", "$defs": {"Path": {"type": "string", "description": "a path"}},
                   "properties": {"from": {"$ref": "#/$defs/Path"}, "to": {"$ref": "#/$defs/Path", "description": "target"}}}),
            json!({"type": "object", "properties": {
                "from": {"type": "string", "description": "a path"},
                "to": {"type": "string", "description": "target"}}}),
        );
        // An unresolvable reference becomes an open schema keeping its description.
        check(
            json!({"type": "object", "properties": {"x": {"$ref": "https://elsewhere/schema", "description": "d"}}}),
            json!({"type": "object", "properties": {"x": {"description": "d"}}}),
        );
        // A recursive reference stops after a few levels instead of looping.
        let recursive = sanitize(&json!({"type": "object", "definitions": {"Node": {"type": "object",
            "properties": {"child": {"$ref": "#/definitions/Node"}}}}, "properties": {"root": {"$ref": "#/definitions/Node"}}}));
        assert!(recursive.to_string().len() < 2000, "{recursive}");
        // oneOf/anyOf of one type keep the type; of several types leave it open.
        check(
            json!({"type": "object", "properties": {
                "a": {"anyOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]},
                "b": {"oneOf": [{"type": "string"}, {"type": "integer"}], "description": "either"}}}),
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"description": "either"}}}),
        );
        // allOf of objects merges properties and required lists.
        check(
            json!({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                             {"properties": {"b": {"type": "number"}}, "required": ["b"]}]}),
            json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}, "required": ["a", "b"]}),
        );
        // Items are cleaned too, and a `not` is dropped.
        check(
            json!({"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "string", "format": "uri"}, "not": {"maxItems": 0}}}}),
            json!({"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "string"}}}}),
        );
    }
}
