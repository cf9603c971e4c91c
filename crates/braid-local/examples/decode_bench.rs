//! Measures the embedded engine's prompt and decode speed on one GGUF file, for `cargo xtask
//! bench-decode`, which runs llama.cpp's own runtime on the same file and prompt and compares.
//!
//! Usage: `decode_bench --model PATH [--prompt TEXT] [--tokens N] [--threads N]`; prints one JSON line.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use braid_local::{Engine, EngineOptions, GenerateRequest, GenerationEvent};

fn main() -> Result<(), String> {
    let mut model = None;
    let mut prompt = "Write a Rust function that reverses a string.".to_string();
    let mut tokens = 128u32;
    let mut threads = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--model" => model = Some(PathBuf::from(value)),
            "--prompt" => prompt = value,
            "--tokens" => tokens = value.parse().map_err(|_| format!("--tokens {value}: not a number"))?,
            "--threads" => threads = Some(value.parse().map_err(|_| format!("--threads {value}: not a number"))?),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let model = model.ok_or("--model PATH.gguf is required")?;
    let engine = Engine::load(&model, EngineOptions { context_tokens: 2048, parallel: 1, threads })
        .map_err(|err| err.to_string())?;
    // The prompt is fed raw, as llama.cpp's own runtime is given it, so both evaluate the same tokens.
    let mut request = GenerateRequest::new(prompt);
    request.max_tokens = tokens;
    request.temperature = 0.0;
    request.ignore_eos = true;
    request.repeat_penalty = 1.0;
    let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|err| err.to_string())?;
    let stats = runtime.block_on(async {
        let mut events = engine.generate(request);
        while let Some(event) = events.recv().await {
            match event {
                GenerationEvent::Text(_) => {}
                GenerationEvent::Done(stats) => return Ok(stats),
                GenerationEvent::Failed(err) => return Err(err.to_string()),
            }
        }
        Err("generation ended early".to_string())
    })?;
    // The first token comes from the prompt's logits; each later one costs one decode step.
    let decode_steps = stats.completion_tokens.saturating_sub(1) as f64;
    println!(
        "{}",
        serde_json::json!({
            "decode_tok_s": decode_steps / stats.decode_seconds.max(f64::EPSILON),
            "prompt_tok_s": stats.prompt_tokens as f64 / stats.prompt_seconds.max(f64::EPSILON),
            "tokens": stats.completion_tokens,
            "prompt_tokens": stats.prompt_tokens,
        })
    );
    Ok(())
}
