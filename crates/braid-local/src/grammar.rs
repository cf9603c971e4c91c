//! Generates a llama.cpp GBNF grammar from the tool schemas offered in a turn, so that a tool call
//! the model starts always parses, names a real tool, and has arguments of the declared shape.
//!
//! The grammar is lazy: it only applies from `<tool_call>` on (see `engine::GrammarSpec`), so the
//! model may still answer in plain text. Once it opens a call it must write
//! `{"name": "<one of the tools>", "arguments": {...}}` and close the tag (a call the model starts
//! without the tag, at `{"name"`, is held to the same shape); after the call only the
//! end of the turn may follow. One call per response is deliberate: small models asked to allow more
//! tend to repeat the same call until they run out of tokens, and the agent loop sends the result
//! back before the next call anyway.
//!
//! The JSON Schema subset covered is what tool schemas use: objects with properties (required ones
//! first, in declaration order, then each optional one in order), strings (with `enum`), integers,
//! numbers, booleans, null, arrays, `anyOf`/`oneOf` and type lists, with `maxLength` on strings and
//! `minItems` (zero or at least one) and `maxItems` on arrays. Anything else, and objects
//! without declared properties, accept any JSON value of the right kind.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use crate::engine::GrammarSpec;
use crate::template::{BARE_CALL_OPEN, TOOL_CALL_CLOSE, TOOL_CALL_OPEN, ToolSchema};

/// The grammar for calls to `tools`; `None` when no tools are offered. With `required` it holds from
/// the first token, so the response must be a call; otherwise it switches on when the model starts
/// one, with `<tool_call>` or, since small models often drop the tag, with a bare `{"name"`.
pub fn tool_call_grammar(tools: &[ToolSchema], required: bool) -> Option<GrammarSpec> {
    if tools.is_empty() {
        return None;
    }
    let mut builder = Builder::default();
    let mut calls = Vec::new();
    for (index, tool) in tools.iter().enumerate() {
        let args = builder.object_or_any(&format!("args{index}"), &tool.parameters);
        let rule = format!(
            "\"{{\" ws \"\\\"name\\\"\" ws \":\" ws {} ws \",\" ws \"\\\"arguments\\\"\" ws \":\" ws {args} ws \"}}\"",
            literal(&Value::String(tool.name.clone()).to_string()),
        );
        calls.push(builder.add(&format!("call{index}"), rule));
    }
    let call = format!("{} \"\\n\" call ws \"\\n\" {}", literal(TOOL_CALL_OPEN), literal(TOOL_CALL_CLOSE));
    let mut gbnf = String::new();
    let _ = writeln!(gbnf, "root ::= {call} | call");
    let _ = writeln!(gbnf, "call ::= {}", calls.join(" | "));
    for (name, body) in &builder.rules {
        let _ = writeln!(gbnf, "{name} ::= {body}");
    }
    gbnf.push_str(PRIMITIVES);
    let triggers = if required { Vec::new() } else { vec![TOOL_CALL_OPEN.to_string(), BARE_CALL_OPEN.to_string()] };
    Some(GrammarSpec { gbnf, triggers })
}

/// Rules shared by every grammar. Whitespace is bounded so that a model cannot stall inside a call by
/// emitting spaces forever.
const PRIMITIVES: &str = r#"ws ::= [ \t\n]{0,3}
string ::= "\"" char* "\""
char ::= [^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
integer ::= "-"? ("0" | [1-9] [0-9]{0,17})
number ::= integer ("." [0-9]+)? ([eE] [-+]? [0-9]+)?
boolean ::= "true" | "false"
null ::= "null"
value ::= object | array | string | number | boolean | null
object ::= "{" ws (string ws ":" ws value (ws "," ws string ws ":" ws value)*)? ws "}"
array ::= "[" ws (value (ws "," ws value)*)? ws "]"
"#;

#[derive(Default)]
struct Builder {
    rules: BTreeMap<String, String>,
}

impl Builder {
    fn add(&mut self, name: &str, body: String) -> String {
        self.rules.insert(name.to_string(), body);
        name.to_string()
    }

    /// Tool arguments are always a JSON object, even when the schema forgot to say so.
    fn object_or_any(&mut self, name: &str, schema: &Value) -> String {
        if schema.get("properties").is_some() || schema.get("type").and_then(Value::as_str) == Some("object") {
            self.schema(name, schema)
        } else {
            "object".to_string()
        }
    }

    /// Returns a grammar expression (a rule name or a primitive) matching `schema`.
    fn schema(&mut self, name: &str, schema: &Value) -> String {
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let alternatives: Vec<String> = values.iter().map(|v| literal(&v.to_string())).collect();
            if !alternatives.is_empty() {
                return self.add(name, alternatives.join(" | "));
            }
        }
        if let Some(constant) = schema.get("const") {
            return self.add(name, literal(&constant.to_string()));
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array) {
                let alternatives: Vec<String> =
                    options.iter().enumerate().map(|(i, option)| self.schema(&format!("{name}-{i}"), option)).collect();
                if !alternatives.is_empty() {
                    return self.add(name, alternatives.join(" | "));
                }
            }
        }
        match schema.get("type") {
            Some(Value::String(kind)) => self.typed(name, kind, schema),
            Some(Value::Array(kinds)) => {
                let alternatives: Vec<String> = kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|kind| self.typed(&format!("{name}-{kind}"), kind, schema))
                    .collect();
                if alternatives.is_empty() { "value".to_string() } else { self.add(name, alternatives.join(" | ")) }
            }
            _ if schema.get("properties").is_some() => self.typed(name, "object", schema),
            _ => "value".to_string(),
        }
    }

    fn typed(&mut self, name: &str, kind: &str, schema: &Value) -> String {
        match kind {
            // `maxLength` bounds the string in the grammar itself: a small model caught repeating a
            // phrase inside a field then has to close it, where it would otherwise fill the output
            // budget and leave a call that never parses.
            "string" => match schema.get("maxLength").and_then(Value::as_u64) {
                Some(max) => self.add(&format!("string-max{max}"), format!("\"\\\"\" char{{0,{max}}} \"\\\"\"")),
                None => "string".to_string(),
            },
            "integer" => "integer".to_string(),
            "number" => "number".to_string(),
            "boolean" => "boolean".to_string(),
            "null" => "null".to_string(),
            "array" => {
                let item = match schema.get("items") {
                    Some(items) => self.schema(&format!("{name}-item"), items),
                    None => "value".to_string(),
                };
                // `minItems` of 1 or more makes the first element mandatory: a plan with no milestone or
                // a command with no words is then impossible to emit, not just invalid. Larger minimums
                // are left to the tool's own validation.
                // `maxItems` bounds the list the same way, for the same reason.
                let non_empty = schema.get("minItems").and_then(Value::as_u64).is_some_and(|n| n >= 1);
                let more = match schema.get("maxItems").and_then(Value::as_u64) {
                    Some(0) => return self.add(name, "\"[\" ws \"]\"".to_string()),
                    Some(max) => format!("{{0,{}}}", max - 1),
                    None => "*".to_string(),
                };
                let list = format!("{item} (ws \",\" ws {item}){more}");
                let body = if non_empty { list } else { format!("({list})?") };
                self.add(name, format!("\"[\" ws {body} ws \"]\""))
            }
            "object" => self.object(name, schema),
            _ => "value".to_string(),
        }
    }

    fn object(&mut self, name: &str, schema: &Value) -> String {
        let Some(properties) = schema.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty()) else {
            return "object".to_string();
        };
        let required: Vec<&str> =
            schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let mut mandatory = Vec::new();
        let mut optional = Vec::new();
        // Required properties keep the order the schema lists them in `required`, which is the order
        // a model reading the schema is most likely to follow.
        for key in &required {
            if let Some(property) = properties.get(*key) {
                let value = self.schema(&format!("{name}-{}", rule_safe(key)), property);
                mandatory.push(member(key, &value));
            }
        }
        for (key, property) in properties {
            if required.contains(&key.as_str()) {
                continue;
            }
            let value = self.schema(&format!("{name}-{}", rule_safe(key)), property);
            optional.push(member(key, &value));
        }
        let tail: String = optional.iter().map(|m| format!(" (ws \",\" ws {m})?")).collect();
        let body = if mandatory.is_empty() {
            // With nothing required, any one optional member may come first, followed by any of
            // the ones declared after it.
            let starts: Vec<String> = (0..optional.len())
                .map(|i| {
                    let rest: String = optional[i + 1..].iter().map(|m| format!(" (ws \",\" ws {m})?")).collect();
                    format!("{}{rest}", optional[i])
                })
                .collect();
            format!("\"{{\" ws ({})? ws \"}}\"", starts.join(" | "))
        } else {
            format!("\"{{\" ws {}{tail} ws \"}}\"", mandatory.join(" ws \",\" ws "))
        };
        self.add(name, body)
    }
}

fn member(key: &str, value: &str) -> String {
    format!("{} ws \":\" ws {value}", literal(&Value::String(key.to_string()).to_string()))
}

/// A GBNF string literal matching `text` exactly.
fn literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// GBNF rule names allow letters, digits and dashes only.
fn rule_safe(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn grammar_for_a_shell_tool() {
        let tools = vec![ToolSchema {
            name: "shell".into(),
            description: String::new(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "array", "items": {"type": "string"}},
                    "timeout_ms": {"type": "integer"},
                    "workdir": {"type": "string"},
                },
                "required": ["command"],
            }),
        }];
        let spec = tool_call_grammar(&tools, false).unwrap();
        assert_eq!(spec.triggers, ["<tool_call>", "{\"name\""]);
        assert!(tool_call_grammar(&tools, true).unwrap().triggers.is_empty(), "a required call has no trigger");
        let rules: String =
            spec.gbnf.lines().take_while(|line| !line.starts_with("ws ::=")).collect::<Vec<_>>().join("\n");
        insta::assert_snapshot!(rules, @r#"
        root ::= "<tool_call>" "\n" call ws "\n" "</tool_call>" | call
        call ::= call0
        args0 ::= "{" ws "\"command\"" ws ":" ws args0-command (ws "," ws "\"timeout_ms\"" ws ":" ws integer)? (ws "," ws "\"workdir\"" ws ":" ws string)? ws "}"
        args0-command ::= "[" ws (string (ws "," ws string)*)? ws "]"
        call0 ::= "{" ws "\"name\"" ws ":" ws "\"shell\"" ws "," ws "\"arguments\"" ws ":" ws args0 ws "}"
        "#);
    }

    #[test]
    fn min_items_makes_the_first_element_mandatory() {
        let tools = vec![ToolSchema {
            name: "write_plan".into(),
            description: String::new(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "steps": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    "notes": {"type": "array", "minItems": 0, "items": {"type": "string"}},
                },
                "required": ["steps", "notes"],
            }),
        }];
        let gbnf = tool_call_grammar(&tools, true).unwrap().gbnf;
        assert!(gbnf.contains(r#"args0-steps ::= "[" ws string (ws "," ws string)* ws "]""#), "{gbnf}");
        assert!(gbnf.contains(r#"args0-notes ::= "[" ws (string (ws "," ws string)*)? ws "]""#), "{gbnf}");
    }

    #[test]
    fn max_length_and_max_items_bound_strings_and_lists() {
        let tools = vec![ToolSchema {
            name: "write_plan".into(),
            description: String::new(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "title": {"type": "string", "maxLength": 80},
                    "steps": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "string", "maxLength": 80}},
                    "none": {"type": "array", "maxItems": 0, "items": {"type": "string"}},
                },
                "required": ["title", "steps", "none"],
            }),
        }];
        let gbnf = tool_call_grammar(&tools, true).unwrap().gbnf;
        assert!(gbnf.contains(r#"string-max80 ::= "\"" char{0,80} "\"""#), "{gbnf}");
        assert!(gbnf.contains(r#""\"title\"" ws ":" ws string-max80 ws"#), "{gbnf}");
        assert!(gbnf.contains(r#"args0-steps ::= "[" ws string-max80 (ws "," ws string-max80){0,2} ws "]""#), "{gbnf}");
        assert!(gbnf.contains(r#"args0-none ::= "[" ws "]""#), "{gbnf}");
    }

    #[test]
    fn no_tools_no_grammar() {
        assert!(tool_call_grammar(&[], false).is_none());
    }

    #[test]
    fn only_optional_members_and_enums() {
        let tools = vec![ToolSchema {
            name: "plan".into(),
            description: String::new(),
            parameters: json!({"properties": {"a": {"enum": ["x", "y"]}, "b": {"type": ["string", "null"]}}}),
        }];
        let spec = tool_call_grammar(&tools, false).unwrap();
        let args = spec.gbnf.lines().find(|line| line.starts_with("args0 ::=")).unwrap();
        assert_eq!(
            args,
            r#"args0 ::= "{" ws ("\"a\"" ws ":" ws args0-a (ws "," ws "\"b\"" ws ":" ws args0-b)? | "\"b\"" ws ":" ws args0-b)? ws "}""#
        );
        assert!(spec.gbnf.contains(r#"args0-a ::= "\"x\"" | "\"y\"""#));
        assert!(spec.gbnf.contains("args0-b ::= string | null"));
    }
}
