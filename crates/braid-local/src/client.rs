//! `LocalClient`: the embedded model behind braid's `ModelClient` trait, so a session cannot tell it
//! from a remote provider. It renders the prompt with the family's chat template, constrains tool
//! calls with a grammar built from the offered tools, and turns the output into the same events.
//! It also knows its context window and counts prompts with the model's own tokenizer, which is what
//! the agent needs to compact a long session before it overflows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use braid_model::{ModelClient, ModelError, ModelStream, TokenCount};
use braid_protocol::{Item, ModelEvent, Prompt, Role as ItemRole, ToolChoice, Usage};
use futures::StreamExt;

use crate::engine::{Engine, GenerateRequest, GenerationEvent, GenerationStats};
use crate::error::LocalError;
use crate::grammar::tool_call_grammar;
use crate::parse::{ParsedOutput, ProseFilter, parse_output};
use crate::store::Family;
use crate::template::{ChatMessage, Role, ToolCallMessage, ToolSchema, render};

/// Sampling settings for agent turns.
#[derive(Debug, Clone)]
pub struct LocalSampling {
    pub temperature: f32,
    pub seed: u32,
    /// Output cap per response when the prompt does not set one.
    pub max_tokens: u32,
    /// Require a tool call for the first response of each user turn and after a failed tool call.
    /// Small models otherwise answer "fixed it" without having looked at anything, or stop after
    /// the first patch that does not apply. `max_turns` still bounds the turn.
    pub insist_on_tools: bool,
}

impl Default for LocalSampling {
    fn default() -> Self {
        LocalSampling { temperature: 0.2, seed: 42, max_tokens: 1024, insist_on_tools: true }
    }
}

/// A model client backed by an in-process engine.
pub struct LocalClient {
    engine: Arc<Engine>,
    family: Family,
    sampling: LocalSampling,
    name: String,
    /// Makes response and call ids unique across clients, so a resumed session never reuses one.
    epoch: u64,
    responses: AtomicU64,
}

impl LocalClient {
    pub fn new(engine: Arc<Engine>, family: Family, sampling: LocalSampling) -> Self {
        let epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        LocalClient { engine, family, sampling, name: "local".to_string(), epoch, responses: AtomicU64::new(0) }
    }

    /// The prompt text the engine generates from, and the tools it offers. `stream` and
    /// `count_tokens` both render through here so that a count is always of the very text a
    /// request would send. The tools stay in the system turn even when the prompt forbids calling
    /// them: the text then starts like the session's other requests and reuses their KV cache.
    fn render(&self, prompt: &Prompt) -> (String, Vec<ToolSchema>) {
        let tools: Vec<ToolSchema> = prompt
            .tools
            .iter()
            .map(|t| ToolSchema {
                name: t.name.clone(),
                description: t.description.clone(),
                parameters: t.parameters.clone(),
            })
            .collect();
        (render(self.family, &to_messages(prompt), &tools), tools)
    }
}

impl ModelClient for LocalClient {
    fn stream(&self, prompt: Prompt) -> ModelStream {
        let (text, tools) = self.render(&prompt);
        let mut request = GenerateRequest::new(text);
        // A response that may not call tools (a compaction summary, for one) gets no grammar at all,
        // not even the lazy one: a summary that quotes a call must not be forced into the call shape.
        let text_only = prompt.tool_choice == ToolChoice::None;
        if !text_only {
            // At the start of a turn, and right after a tool failed, the answer must be a tool call:
            // small models otherwise declare victory without looking, or give up after one failed patch.
            let must_act = match prompt.input.last() {
                Some(Item::Message { role: ItemRole::User, .. }) => true,
                Some(Item::ToolOutput { success, .. }) => !success,
                _ => false,
            };
            request.grammar = match &prompt.tool_choice {
                // A forced tool narrows the grammar to that one tool from the first token; the system
                // turn still lists every tool, so the prompt keeps sharing the session's KV cache.
                ToolChoice::Tool(name) => {
                    let forced: Vec<ToolSchema> = tools.iter().filter(|t| &t.name == name).cloned().collect();
                    tool_call_grammar(&forced, true)
                }
                _ => tool_call_grammar(&tools, must_act && self.sampling.insist_on_tools),
            };
        }
        request.max_tokens = prompt.max_output_tokens.unwrap_or(self.sampling.max_tokens);
        request.temperature = self.sampling.temperature;

        let tool_names: Vec<String> =
            if text_only { Vec::new() } else { tools.iter().map(|t| t.name.clone()).collect() };
        let number = self.responses.fetch_add(1, Ordering::Relaxed);
        // A different seed per response: with one fixed seed a small model that failed retries the
        // very same call, word for word, after every failure.
        request.seed = self.sampling.seed.wrapping_add(number as u32);
        let response_id = format!("local-{:x}-{number}", self.epoch);
        let model = self.engine.info().path.display().to_string();
        let generation = self.engine.generate(request);
        let prose = if text_only { ProseFilter::plain() } else { ProseFilter::default() };
        let state = Decoder { prose, text_only, tool_names, response_id, model, finished: false };
        let created = futures::stream::once(futures::future::ready(Ok(ModelEvent::Created {
            response_id: Some(state.response_id.clone()),
        })));
        let body = futures::stream::unfold((generation, state), |(mut generation, mut state)| async move {
            if state.finished {
                return None;
            }
            let event = generation.recv().await;
            let out = state.on(event);
            Some((futures::stream::iter(out), (generation, state)))
        })
        .flatten();
        Box::pin(created.chain(body))
    }

    fn provider_name(&self) -> &str {
        &self.name
    }

    /// The per-sequence context the engine created, which is what one request may fill.
    fn context_window(&self) -> Option<u64> {
        Some(u64::from(self.engine.info().context_tokens))
    }

    /// The prompt's size in the model's own tokens, exactly the `input_tokens` streaming it would
    /// report; `None` when the engine's worker has stopped.
    fn count_tokens<'a>(&'a self, prompt: &'a Prompt) -> TokenCount<'a> {
        Box::pin(async move {
            let (text, _) = self.render(prompt);
            self.engine.count_tokens(text).await.ok().map(|tokens| tokens as u64)
        })
    }
}

/// Follows one generation: shows prose as it streams, keeps tool-call JSON out of the live view, and
/// turns the whole text into items at the end.
struct Decoder {
    prose: ProseFilter,
    /// The prompt forbade tool calls: the whole output is the message, even where it looks like a call.
    text_only: bool,
    tool_names: Vec<String>,
    response_id: String,
    model: String,
    finished: bool,
}

impl Decoder {
    fn on(&mut self, event: Option<GenerationEvent>) -> Vec<Result<ModelEvent, ModelError>> {
        match event {
            Some(GenerationEvent::Text(piece)) => {
                self.prose.push(&piece).map(|delta| vec![Ok(ModelEvent::TextDelta { delta })]).unwrap_or_default()
            }
            Some(GenerationEvent::Done(stats)) => {
                self.finished = true;
                self.complete(stats)
            }
            Some(GenerationEvent::Failed(err)) => {
                self.finished = true;
                let message = err.to_string();
                // An overflow is told apart so that the agent compacts the session instead of failing.
                let error = match err {
                    LocalError::ContextOverflow { .. } => {
                        ModelError::ContextWindowExceeded { url: self.model.clone(), message }
                    }
                    _ => ModelError::Local { model: self.model.clone(), message },
                };
                vec![Err(error)]
            }
            None => {
                self.finished = true;
                vec![Err(ModelError::Local {
                    model: self.model.clone(),
                    message: "the inference worker stopped".into(),
                })]
            }
        }
    }

    fn complete(&mut self, stats: GenerationStats) -> Vec<Result<ModelEvent, ModelError>> {
        let parsed = if self.text_only {
            ParsedOutput { content: self.prose.text().trim().to_string(), calls: Vec::new() }
        } else {
            parse_output(self.prose.text(), &self.tool_names)
        };
        let mut events = Vec::new();
        if !parsed.content.is_empty() {
            events.push(Ok(ModelEvent::ItemDone { item: Item::assistant(parsed.content) }));
        }
        for (index, call) in parsed.calls.into_iter().enumerate() {
            events.push(Ok(ModelEvent::ItemDone {
                item: Item::ToolCall {
                    call_id: format!("{}-call-{index}", self.response_id),
                    name: call.name,
                    arguments: call.arguments.to_string(),
                },
            }));
        }
        let usage = Usage {
            input_tokens: stats.prompt_tokens as u64,
            cached_input_tokens: stats.cached_tokens as u64,
            output_tokens: stats.completion_tokens as u64,
            reasoning_output_tokens: 0,
        };
        events.push(Ok(ModelEvent::Completed { response_id: Some(self.response_id.clone()), usage: Some(usage) }));
        events
    }
}

/// What a local model is told after a tool output that carried images: the output names each one, and
/// without this line the model might answer as if it had seen them.
pub(crate) const IMAGES_NOT_SHOWN: &str = "[braid: the images are not shown: this model reads text only]";

/// Translates braid's history into chat messages: instructions become the system turn, tool calls
/// join the assistant turn they belong to, and tool outputs become tool messages.
fn to_messages(prompt: &Prompt) -> Vec<ChatMessage> {
    let mut messages = vec![ChatMessage::new(Role::System, prompt.instructions.clone())];
    for item in &prompt.input {
        match item {
            Item::Message { role: ItemRole::Assistant, text } => {
                messages.push(ChatMessage::new(Role::Assistant, text.clone()));
            }
            Item::Message { role: ItemRole::User | ItemRole::Developer, text } => {
                messages.push(ChatMessage::new(Role::User, text.clone()));
            }
            // Local models cannot take reasoning back; their own thoughts are in the message text.
            Item::Reasoning { .. } => {}
            Item::ToolCall { call_id, name, arguments } => {
                let call = ToolCallMessage { id: call_id.clone(), name: name.clone(), arguments: arguments.clone() };
                match messages.last_mut() {
                    Some(last) if last.role == Role::Assistant => last.tool_calls.push(call),
                    _ => messages.push(ChatMessage {
                        role: Role::Assistant,
                        content: String::new(),
                        tool_calls: vec![call],
                    }),
                }
            }
            Item::ToolOutput { output, images, .. } if !images.is_empty() => {
                messages.push(ChatMessage::new(Role::Tool, format!("{output}\n{IMAGES_NOT_SHOWN}")));
            }
            Item::ToolOutput { output, .. } => messages.push(ChatMessage::new(Role::Tool, output.clone())),
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use braid_protocol::ToolImage;

    use super::*;

    #[test]
    fn a_tool_output_with_images_tells_the_model_it_cannot_see_them() {
        let image = ToolImage { mime_type: "image/png".into(), data: "UE5H".into() };
        let prompt = Prompt {
            input: vec![
                Item::tool_output("a", "plain", true),
                Item::ToolOutput {
                    call_id: "b".into(),
                    output: "[image 1: image/png, 3 bytes]".into(),
                    success: true,
                    images: vec![image],
                },
            ],
            model: "m".into(),
            instructions: String::new(),
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
            reasoning_effort: None,
            max_output_tokens: None,
        };
        let contents: Vec<String> = to_messages(&prompt).into_iter().skip(1).map(|m| m.content).collect();
        assert_eq!(contents, ["plain".to_string(), format!("[image 1: image/png, 3 bytes]\n{IMAGES_NOT_SHOWN}")]);
    }
}
