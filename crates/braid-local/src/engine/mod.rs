//! The inference engine: one loaded GGUF model serving several generation requests at once.
//!
//! llama.cpp objects are not thread-safe, so a single worker thread owns the model and its context
//! and every request reaches it through a channel. The context holds one KV-cache sequence per
//! parallel slot; the worker decodes all active slots in one batch per step, which is how several
//! sessions share one copy of the weights and still make progress together. A new request goes to
//! the idle slot whose cached tokens share the longest prefix with its prompt, so the next turn of a
//! session only evaluates what is new since the last one.

mod text;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, mpsc};
use std::thread::JoinHandle;

use llama_cpp_2::llama_backend::LlamaBackend;
use tokio::sync::mpsc as tmpsc;
use tokio::sync::oneshot;

use crate::error::LocalError;

/// How to load a model.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Context window of each sequence, in tokens.
    pub context_tokens: u32,
    /// How many requests may decode at the same time; each gets its own KV-cache sequence.
    pub parallel: u32,
    /// CPU threads for llama.cpp; `None` uses every available core.
    pub threads: Option<i32>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions { context_tokens: 8192, parallel: 1, threads: None }
    }
}

/// Facts about a loaded model.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    pub path: PathBuf,
    /// `general.name` from the GGUF metadata, when present.
    pub name: Option<String>,
    /// `general.architecture` from the GGUF metadata, for example `qwen2` or `llama`.
    pub architecture: Option<String>,
    pub context_tokens: u32,
    pub parallel: u32,
    /// The context length the model was trained with.
    pub trained_context: u32,
}

/// Restricts what the model may produce once it starts a tool call.
#[derive(Debug, Clone)]
pub struct GrammarSpec {
    /// The grammar in llama.cpp's GBNF notation; its `root` rule must accept text starting with
    /// any of the `triggers`.
    pub gbnf: String,
    /// Texts that switch the grammar on. Before one appears the model writes freely, which keeps
    /// plain answers possible; from it on, every token must fit the grammar. Empty enforces the
    /// grammar from the first token, for callers that require a tool call.
    pub triggers: Vec<String>,
}

/// One completion request: an already templated prompt and how to sample.
#[derive(Debug, Clone)]
pub struct GenerateRequest {
    pub prompt: String,
    pub grammar: Option<GrammarSpec>,
    pub max_tokens: u32,
    /// Zero means greedy decoding.
    pub temperature: f32,
    /// Penalty for tokens generated in the last 256; 1.0 (the default) turns it off. Agent work
    /// copies text (an edit's old and new lines share most tokens), which a penalty fights.
    pub repeat_penalty: f32,
    pub seed: u32,
    /// Generation ends before any of these strings; the stop string itself is not returned.
    pub stop: Vec<String>,
    /// Keep generating past end-of-generation tokens; only benchmarks want this.
    pub ignore_eos: bool,
}

impl GenerateRequest {
    /// A request with braid's default sampling for agent work.
    pub fn new(prompt: impl Into<String>) -> Self {
        GenerateRequest {
            prompt: prompt.into(),
            grammar: None,
            max_tokens: 2048,
            temperature: 0.2,
            repeat_penalty: 1.0,
            seed: 42,
            stop: Vec::new(),
            ignore_eos: false,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The model ended its turn or hit a stop string.
    Stop,
    /// `max_tokens` or the context window was reached.
    Length,
}

/// Counters of one finished generation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenerationStats {
    pub prompt_tokens: usize,
    /// Prompt tokens that were already in the KV cache and did not need evaluating.
    pub cached_tokens: usize,
    pub completion_tokens: usize,
    pub finish: FinishReason,
    /// Seconds spent evaluating the prompt, and generating after it.
    pub prompt_seconds: f64,
    pub decode_seconds: f64,
}

/// What a generation streams back.
#[derive(Debug)]
pub enum GenerationEvent {
    Text(String),
    Done(GenerationStats),
    Failed(LocalError),
}

/// A stream of generation events; dropping it cancels the generation.
pub type Generation = tmpsc::UnboundedReceiver<GenerationEvent>;

/// What the worker is asked to do. Counting shares the channel with generation because only the
/// worker thread may touch the model, and its tokenizer is part of the model.
pub(crate) enum Job {
    Generate(GenerateJob),
    /// Tokenize `text` as a generation prompt would be and reply with the number of tokens.
    Count {
        text: String,
        reply: oneshot::Sender<usize>,
    },
}

/// A generation waiting for, or running on, a slot.
pub(crate) struct GenerateJob {
    pub request: GenerateRequest,
    pub events: tmpsc::UnboundedSender<GenerationEvent>,
}

/// A loaded model and the worker thread that runs it. Cheap to share behind an `Arc`.
pub struct Engine {
    /// `None` only while dropping, so that the worker sees the channel close.
    jobs: Option<mpsc::Sender<Job>>,
    info: Arc<ModelInfo>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("info", &self.info).finish_non_exhaustive()
    }
}

/// llama.cpp's backend may be initialised once per process; every engine shares it. `None` when
/// llama.cpp refused (it only does when something else in the process initialised it first).
fn backend() -> Option<&'static LlamaBackend> {
    static BACKEND: OnceLock<Option<LlamaBackend>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs every tensor it loads; route that to tracing so that it stays out of the
            // terminal unless the user asks for it with RUST_LOG.
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().ok()
        })
        .as_ref()
}

impl Engine {
    /// Loads the GGUF file at `path` and starts its worker thread.
    ///
    /// Fails when the file is missing or not a loadable GGUF, when the KV cache for the asked
    /// context would not fit in available memory, or when llama.cpp cannot create the context.
    pub fn load(path: &Path, options: EngineOptions) -> Result<Engine, LocalError> {
        if !path.is_file() {
            return Err(LocalError::MissingFile { path: path.to_path_buf() });
        }
        let backend = backend().ok_or_else(|| LocalError::Backend { path: path.to_path_buf() })?;
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<ModelInfo, LocalError>>();
        let path_buf = path.to_path_buf();
        let worker = std::thread::Builder::new()
            .name("braid-llama".into())
            .spawn(move || worker::run(backend, path_buf, options, ready_tx, jobs_rx))
            .map_err(LocalError::Spawn)?;
        let info = match ready_rx.recv() {
            Ok(Ok(info)) => info,
            Ok(Err(err)) => {
                let _ = worker.join();
                return Err(err);
            }
            Err(_) => {
                let _ = worker.join();
                return Err(LocalError::WorkerGone { path: path.to_path_buf() });
            }
        };
        Ok(Engine { jobs: Some(jobs_tx), info: Arc::new(info), worker: Some(worker) })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Queues a generation. Events arrive on the returned stream; the last one is `Done` or
    /// `Failed`. Requests beyond the number of parallel slots wait for a free slot.
    pub fn generate(&self, request: GenerateRequest) -> Generation {
        let (events, rx) = tmpsc::unbounded_channel();
        let job = Job::Generate(GenerateJob { request, events: events.clone() });
        let sent = self.jobs.as_ref().is_some_and(|jobs| jobs.send(job).is_ok());
        if !sent {
            let _ = events.send(GenerationEvent::Failed(LocalError::WorkerGone { path: self.info.path.clone() }));
        }
        rx
    }

    /// Counts the tokens `text` takes as a prompt: tokenized exactly as `generate` tokenizes its
    /// prompt (beginning-of-sequence token and special tokens included), so the count equals the
    /// `prompt_tokens` a generation of the same text reports. The worker answers between decode
    /// steps, without waiting for running generations to finish.
    ///
    /// The returned future fails with `LocalError::WorkerGone` when the worker thread has stopped.
    pub fn count_tokens(&self, text: String) -> impl Future<Output = Result<usize, LocalError>> + Send + 'static {
        let (reply, answer) = oneshot::channel();
        // Sending here rather than inside the future puts the question in the queue at call time;
        // a failed send drops `reply`, which the future then reports as a gone worker.
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(Job::Count { text, reply });
        }
        let path = self.info.path.clone();
        async move { answer.await.map_err(|_| LocalError::WorkerGone { path }) }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Closing the job channel lets the worker finish what it is doing and exit; joining it
        // frees the model's memory before the engine is gone.
        self.jobs.take();
        if let Some(handle) = self.worker.take() {
            let _ = handle.join();
        }
    }
}
