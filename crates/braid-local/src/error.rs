//! Errors of the embedded engine, each naming the file or limit it is about and what to do.

use std::path::PathBuf;

/// Why loading a model or generating from it failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("model file {path} does not exist; run `braid model pull` or `braid model add <file.gguf> --name <name>`")]
    MissingFile { path: PathBuf },
    #[error(
        "{path} is not a GGUF model llama.cpp can load (truncated or another format?); re-run `braid model pull` or pass a valid .gguf file"
    )]
    Load { path: PathBuf },
    #[error(
        "not enough memory for a {n_ctx}-token context on {path}: it needs about {needed_mib} MiB of KV cache and {available_mib} MiB are available; ask for a smaller context (for example `-c local.context_tokens=4096`) or fewer parallel sequences"
    )]
    NotEnoughMemory { path: PathBuf, n_ctx: u32, needed_mib: u64, available_mib: u64 },
    #[error("llama.cpp could not create a context of {n_ctx} tokens for {path}; try a smaller context size")]
    Context { path: PathBuf, n_ctx: u32 },
    #[error(
        "the prompt is {prompt_tokens} tokens but the model's context window holds {n_ctx}; start a new session or shorten the input"
    )]
    ContextOverflow { prompt_tokens: usize, n_ctx: u32 },
    #[error("the tool-call grammar was rejected by llama.cpp: {message}")]
    Grammar { message: String },
    #[error("llama.cpp failed to decode a batch: {message}")]
    Decode { message: String },
    #[error("the inference worker for {path} has stopped; restart braid")]
    WorkerGone { path: PathBuf },
    #[error("llama.cpp's backend could not be initialised, so {path} cannot be loaded; restart braid")]
    Backend { path: PathBuf },
    #[error("cannot start the inference worker thread: {0}")]
    Spawn(#[source] std::io::Error),
}
