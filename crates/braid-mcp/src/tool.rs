//! An MCP server's tool as one of braid's tools: offered under its qualified name with a sanitised
//! schema, exposed to the approval policy as an external call, and its result turned into the text and
//! images the model reads.

use std::sync::Arc;

use async_trait::async_trait;
use braid_protocol::{ToolEffect, ToolImage, ToolSpec};
use braid_tools::image::check_image;
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

/// The model's view of a call's result: the text blocks joined, each image attached and named in a
/// line (or only named, with the reason, when providers would refuse it), other blocks described in a
/// line each, structured content when there is nothing else, and `isError` as a failed call.
pub(crate) fn result_to_tool_result(result: &CallToolResult) -> ToolResult {
    let mut images = Vec::new();
    let mut parts: Vec<String> = result.content.iter().map(|block| describe(block, &mut images)).collect();
    if parts.is_empty()
        && let Some(structured) = &result.structured_content
    {
        parts.push(structured.to_string());
    }
    let text = parts.join("\n");
    let result = if result.is_error == Some(true) {
        ToolResult::error(if text.is_empty() {
            "the tool reported an error without a message".to_string()
        } else {
            text
        })
    } else {
        ToolResult::ok(text, ToolEffect::None)
    };
    ToolResult { images, ..result }
}

/// One content block as text for the model; an image that can be attached is pushed onto `images`.
fn describe(block: &ContentBlock, images: &mut Vec<ToolImage>) -> String {
    // Base64 takes four characters per three bytes.
    let decoded_len = |data: &str| data.trim_end_matches('=').len() * 3 / 4;
    match block {
        ContentBlock::Text(text) => text.text.clone(),
        ContentBlock::Image(image) => match check_image(&image.mime_type, &image.data) {
            Ok((checked, len)) => {
                images.push(checked);
                format!("[image {}: {}, {len} bytes]", images.len(), image.mime_type)
            }
            Err(why) => {
                format!("[image: {}, {} bytes, not attached: {why}]", image.mime_type, decoded_len(&image.data))
            }
        },
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

    /// A 1x1 PNG.
    const PIXEL: &str =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

    #[test]
    fn images_are_attached_and_named_and_those_providers_would_refuse_are_only_named() {
        let result: CallToolResult = serde_json::from_value(json!({"content": [
            {"type": "text", "text": "the page:"},
            {"type": "image", "data": PIXEL, "mimeType": "image/png"},
            {"type": "image", "data": "aGVsbG8gd29ybGQ=", "mimeType": "image/png"},
            {"type": "image", "data": PIXEL, "mimeType": "image/tiff"},
            {"type": "image", "data": PIXEL, "mimeType": "image/png"},
        ]}))
        .unwrap();
        let converted = result_to_tool_result(&result);
        assert_eq!(
            converted.output,
            "the page:\n[image 1: image/png, 70 bytes]\n\
             [image: image/png, 11 bytes, not attached: its bytes are not image/png data]\n\
             [image: image/tiff, 70 bytes, not attached: braid attaches PNG, JPEG, GIF and WebP images, not image/tiff]\n\
             [image 2: image/png, 70 bytes]"
        );
        assert_eq!(converted.images.len(), 2);
        assert_eq!((converted.images[0].mime_type.as_str(), converted.images[0].data.as_str()), ("image/png", PIXEL));
        assert!(converted.success);
    }

    #[test]
    fn results_become_text_for_the_model() {
        check(json!({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}), "a\nb", true);
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
