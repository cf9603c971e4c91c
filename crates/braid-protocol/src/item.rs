//! Conversation items: the history an agent session sends to the model and records in its rollout.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    /// Context that braid adds on the user's side of the conversation (environment, AGENTS.md). Wire
    /// formats without a developer role send it as a user message.
    Developer,
}

/// One entry of a conversation's history, independent of any wire format.
///
/// Each model client translates these to and from its own format; the agent core and the rollout only
/// ever see this type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    /// A message from the user, the assistant, or braid's own context.
    Message { role: Role, text: String },
    /// A reasoning summary the model chose to share. `encrypted` carries an opaque blob some providers
    /// ask to have sent back verbatim on the next request.
    Reasoning {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted: Option<String>,
    },
    /// The model asks for a tool to run. `arguments` is the raw JSON text as the model produced it: it is
    /// only parsed by the tool, so that a malformed argument string can be reported back to the model.
    ToolCall { call_id: String, name: String, arguments: String },
    /// The result of a tool call, sent back to the model exactly once per `call_id`. `images` go with
    /// the text to models that can see them; `output` already names each one in a line, so a model
    /// that cannot see them still knows what it was given.
    ToolOutput {
        call_id: String,
        output: String,
        success: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<ToolImage>,
    },
}

/// An image a tool returned (a screenshot, a rendered chart), attached to the tool's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolImage {
    /// The media type: one of [`ToolImage::MEDIA_TYPES`], which every wire format braid speaks accepts.
    pub mime_type: String,
    /// The image file's bytes in standard base64 without line breaks, checked to decode and to match
    /// `mime_type` before the image was accepted, because one malformed image in the history would make
    /// the provider refuse every later request.
    pub data: String,
}

impl ToolImage {
    /// The media types braid attaches; other images are only named in the output text.
    pub const MEDIA_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

    /// The image as a `data:` URL, the form the OpenAI wire formats take.
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.mime_type, self.data)
    }
}

impl Item {
    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Item::Message { role: Role::User, text: text.into() }
    }

    /// An assistant message.
    pub fn assistant(text: impl Into<String>) -> Self {
        Item::Message { role: Role::Assistant, text: text.into() }
    }

    /// A tool output without images.
    pub fn tool_output(call_id: impl Into<String>, output: impl Into<String>, success: bool) -> Self {
        Item::ToolOutput { call_id: call_id.into(), output: output.into(), success, images: Vec::new() }
    }

    /// A developer (braid-provided context) message.
    pub fn developer(text: impl Into<String>) -> Self {
        Item::Message { role: Role::Developer, text: text.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_outputs_without_images_keep_their_old_shape_and_images_round_trip() {
        let plain = Item::tool_output("c", "ok", true);
        let text = serde_json::to_string(&plain).unwrap();
        assert_eq!(text, r#"{"type":"tool_output","call_id":"c","output":"ok","success":true}"#);
        assert_eq!(serde_json::from_str::<Item>(&text).unwrap(), plain, "rollouts written before images still load");

        let image = ToolImage { mime_type: "image/png".into(), data: "UE5H".into() };
        assert_eq!(image.data_url(), "data:image/png;base64,UE5H");
        let with = Item::ToolOutput { call_id: "c".into(), output: "ok".into(), success: true, images: vec![image] };
        let text = serde_json::to_string(&with).unwrap();
        assert!(text.ends_with(r#""images":[{"mime_type":"image/png","data":"UE5H"}]}"#), "{text}");
        assert_eq!(serde_json::from_str::<Item>(&text).unwrap(), with);
    }
}
