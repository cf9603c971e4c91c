//! An MCP server's tool as one of braid's tools: offered under its qualified name with a sanitised
//! schema, exposed to the approval policy as an external call, and its result turned into the text the
//! model reads.

use std::sync::Arc;

use async_trait::async_trait;
use braid_protocol::{ToolEffect, ToolSpec};
use braid_tools::{Exposure, Tool, ToolContext, ToolResult};
use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};

use crate::connection::{CallError, Connection};

/// One tool of a running server.
pub(crate) struct McpTool {
    pub(crate) connection: Arc<Connection>,
    /// The name offered to the model (`<server>__<tool>`, shortened when long).
    pub(crate) offered: String,
    /// The name on the server.
    pub(crate) tool: String,
    pub(crate) description: String,
    pub(crate) schema: serde_json::Value,
    pub(crate) read_only: bool,
}

#[async_trait]
impl Tool for McpTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec { name: self.offered.clone(), description: self.description.clone(), parameters: self.schema.clone() }
    }

    fn exposure(&self, _ctx: &ToolContext, args: &serde_json::Value) -> Exposure {
        Exposure::External {
            server: self.connection.name.clone(),
            tool: self.tool.clone(),
            arguments: args.to_string(),
            read_only: self.read_only,
        }
    }

    async fn call(&self, _ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let arguments = match args {
            serde_json::Value::Object(map) => map,
            serde_json::Value::Null => serde_json::Map::new(),
            other => {
                return ToolResult::error(format!(
                    "the arguments for `{}` must be a JSON object, not {other}",
                    self.offered
                ));
            }
        };
        match self.connection.call(&self.tool, arguments).await {
            Ok(result) => result_to_tool_result(&result),
            Err(CallError::Dead(message) | CallError::Failed(message)) => ToolResult::error(message),
        }
    }
}

/// The model's view of a call's result: the text blocks joined, other blocks described in a line
/// each (braid's tool outputs are text only, so an image is described, not shown), structured content
/// when there is nothing else, and `isError` as a failed call.
pub(crate) fn result_to_tool_result(result: &CallToolResult) -> ToolResult {
    let mut parts: Vec<String> = result.content.iter().map(describe).collect();
    if parts.is_empty()
        && let Some(structured) = &result.structured_content
    {
        parts.push(structured.to_string());
    }
    let text = parts.join("\n");
    if result.is_error == Some(true) {
        ToolResult::error(if text.is_empty() {
            "the tool reported an error without a message".to_string()
        } else {
            text
        })
    } else {
        ToolResult::ok(text, ToolEffect::None)
    }
}

fn describe(block: &ContentBlock) -> String {
    // Base64 takes four characters per three bytes.
    let decoded_len = |data: &str| data.trim_end_matches('=').len() * 3 / 4;
    match block {
        ContentBlock::Text(text) => text.text.clone(),
        ContentBlock::Image(image) => format!("[image: {}, {} bytes]", image.mime_type, decoded_len(&image.data)),
        ContentBlock::Audio(audio) => format!("[audio: {}, {} bytes]", audio.mime_type, decoded_len(&audio.data)),
        ContentBlock::Resource(embedded) => match &embedded.resource {
            ResourceContents::TextResourceContents { text, .. } => text.clone(),
            ResourceContents::BlobResourceContents { uri, mime_type, blob, .. } => format!(
                "[resource {uri}: {}, {} bytes]",
                mime_type.as_deref().unwrap_or("application/octet-stream"),
                decoded_len(blob)
            ),
            _ => "[a resource braid cannot show]".to_string(),
        },
        ContentBlock::ResourceLink(resource) => format!("[resource link: {} ({})]", resource.uri, resource.name),
        _ => "[content braid cannot show]".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(result: serde_json::Value, expected_output: &str, expected_success: bool) {
        let parsed: CallToolResult = serde_json::from_value(result.clone()).unwrap();
        let converted = result_to_tool_result(&parsed);
        assert_eq!((converted.output.as_str(), converted.success), (expected_output, expected_success), "{result}");
    }

    #[test]
    fn results_become_text_for_the_model() {
        check(json!({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}), "a\nb", true);
        check(
            json!({"content": [{"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}]}),
            "[image: image/png, 8 bytes]",
            true,
        );
        check(json!({"content": [{"type": "text", "text": "no such file"}], "isError": true}), "no such file", false);
        check(json!({"content": [], "isError": true}), "the tool reported an error without a message", false);
        check(json!({"content": [], "structuredContent": {"n": 1}}), r#"{"n":1}"#, true);
        check(
            json!({"content": [{"type": "resource", "resource": {"uri": "file:///a.txt", "text": "inside"}}]}),
            "inside",
            true,
        );
    }
}
