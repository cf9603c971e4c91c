//! Parsing a tool call's JSON arguments into a typed struct, with an error the model can act on.

use serde::de::DeserializeOwned;

use crate::ToolResult;

/// Deserializes `args` into `T`.
///
/// Returns the parsed arguments, or an error result for the model naming the tool and what was wrong
/// (a missing field, a wrong type), so that it can correct the call.
pub(crate) fn parse<T: DeserializeOwned>(tool: &str, args: serde_json::Value) -> Result<T, ToolResult> {
    serde_json::from_value(args).map_err(|err| {
        ToolResult::error(format!(
            "invalid arguments for `{tool}`: {err}; send a JSON object matching the tool's schema"
        ))
    })
}
