//! The worker thread: owns the llama.cpp model and context, schedules requests onto KV-cache
//! sequences, and decodes every active sequence together, one batch per step.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use super::text::TextStream;
use super::{
    EngineOptions, FinishReason, GenerateJob, GenerateRequest, GenerationEvent, GenerationStats, Job, ModelInfo,
};
use crate::error::LocalError;

/// Tokens evaluated per decode call at most; prompts longer than this are fed over several steps.
const BATCH_TOKENS: usize = 512;

/// A KV-cache sequence and, when busy, the generation running on it.
struct Slot {
    /// The tokens whose keys and values are in this sequence's cache, in position order.
    cached: Vec<LlamaToken>,
    active: Option<Active>,
    /// Step number of the last use, to evict the least recently used sequence first.
    last_used: u64,
}

struct Active {
    events: tokio::sync::mpsc::UnboundedSender<GenerationEvent>,
    /// Prompt tokens not yet evaluated; empty once generation has started.
    pending: VecDeque<LlamaToken>,
    /// The token sampled last, to be fed in the next step.
    next: Option<LlamaToken>,
    sampler: LlamaSampler,
    text: TextStream,
    max_tokens: usize,
    ignore_eos: bool,
    generated: usize,
    prompt_tokens: usize,
    cached_tokens: usize,
    started: Instant,
    prompt_done: Option<Instant>,
}

pub(super) fn run(
    backend: &LlamaBackend,
    path: PathBuf,
    options: EngineOptions,
    ready: mpsc::Sender<Result<ModelInfo, LocalError>>,
    jobs: mpsc::Receiver<Job>,
) {
    let model = match LlamaModel::load_from_file(backend, &path, &LlamaModelParams::default()) {
        Ok(model) => model,
        Err(_) => {
            let _ = ready.send(Err(LocalError::Load { path }));
            return;
        }
    };
    let parallel = options.parallel.max(1);
    let context_tokens = options.context_tokens.clamp(256, model.n_ctx_train().max(256));
    if let Err(err) = check_memory(&model, &path, context_tokens, parallel) {
        let _ = ready.send(Err(err));
        return;
    }
    let threads = options.threads.unwrap_or_else(default_threads);
    let total = context_tokens.saturating_mul(parallel);
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(total))
        .with_n_batch(BATCH_TOKENS as u32)
        .with_n_seq_max(parallel)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut ctx = match model.new_context(backend, params) {
        Ok(ctx) => ctx,
        Err(_) => {
            let _ = ready.send(Err(LocalError::Context { path, n_ctx: total }));
            return;
        }
    };
    let info = ModelInfo {
        path: path.clone(),
        name: model.meta_val_str("general.name").ok(),
        architecture: model.meta_val_str("general.architecture").ok(),
        context_tokens,
        parallel,
        trained_context: model.n_ctx_train(),
    };
    if ready.send(Ok(info)).is_err() {
        return;
    }
    let mut worker = Worker {
        model: &model,
        path,
        context_tokens: context_tokens as usize,
        slots: (0..parallel).map(|_| Slot { cached: Vec::new(), active: None, last_used: 0 }).collect(),
        queue: VecDeque::new(),
        step: 0,
    };
    worker.serve(&mut ctx, &jobs);
}

fn default_threads() -> i32 {
    std::thread::available_parallelism().map(|n| n.get() as i32).unwrap_or(2)
}

/// Refuses a context whose KV cache would not fit in the memory the kernel says is available, so
/// the user gets advice instead of the machine swapping or llama.cpp aborting.
fn check_memory(model: &LlamaModel, path: &Path, context_tokens: u32, parallel: u32) -> Result<(), LocalError> {
    let Some(available) = available_memory_bytes() else { return Ok(()) };
    let head_dim = u64::try_from(model.n_embd()).unwrap_or(0) / u64::from(model.n_head().max(1));
    let per_token = 2 * u64::from(model.n_layer()) * u64::from(model.n_head_kv()) * head_dim * 2;
    let needed = per_token * u64::from(context_tokens) * u64::from(parallel);
    if needed > available {
        return Err(LocalError::NotEnoughMemory {
            path: path.to_path_buf(),
            n_ctx: context_tokens.saturating_mul(parallel),
            needed_mib: needed >> 20,
            available_mib: available >> 20,
        });
    }
    Ok(())
}

fn available_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|line| line.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

struct Worker<'m> {
    model: &'m LlamaModel,
    path: PathBuf,
    context_tokens: usize,
    slots: Vec<Slot>,
    queue: VecDeque<GenerateJob>,
    step: u64,
}

impl<'m> Worker<'m> {
    fn serve(&mut self, ctx: &mut LlamaContext<'m>, jobs: &mpsc::Receiver<Job>) {
        let mut batch = LlamaBatch::new(BATCH_TOKENS, self.slots.len() as i32);
        loop {
            let busy = self.slots.iter().any(|slot| slot.active.is_some());
            if !busy && self.queue.is_empty() {
                // Nothing to do: sleep until a request arrives or the engine is dropped.
                match jobs.recv() {
                    Ok(job) => self.receive(job),
                    Err(_) => return,
                }
            }
            while let Ok(job) = jobs.try_recv() {
                self.receive(job);
            }
            self.assign(ctx);
            self.step += 1;
            self.drop_cancelled();
            if let Err(err) = self.decode_step(ctx, &mut batch) {
                self.fail_all(ctx, &err);
            }
        }
    }

    fn receive(&mut self, job: Job) {
        let model = self.model;
        route(job, &mut self.queue, |text| tokenize(model, text).len());
    }

    /// Moves queued jobs onto idle slots, choosing the slot whose cache shares the longest prefix
    /// with the prompt, and the least recently used among equals.
    fn assign(&mut self, ctx: &mut LlamaContext<'m>) {
        // While every slot is busy the queue waits untouched: tokenizing a long prompt on every
        // decode step only to find no room would slow down the generations that are running.
        while self.slots.iter().any(|slot| slot.active.is_none()) {
            let Some(GenerateJob { request, events }) = self.queue.pop_front() else { return };
            if events.is_closed() {
                continue;
            }
            let tokens = tokenize(self.model, &request.prompt);
            let Some(index) = self.pick_slot(&tokens) else {
                self.queue.push_front(GenerateJob { request, events });
                return;
            };
            if let Err(err) = self.start(ctx, index, tokens, request, events.clone()) {
                let _ = events.send(GenerationEvent::Failed(err));
            }
        }
    }

    fn pick_slot(&self, tokens: &[LlamaToken]) -> Option<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.active.is_none())
            .max_by_key(|(_, slot)| (common_prefix(&slot.cached, tokens), std::cmp::Reverse(slot.last_used)))
            .map(|(index, _)| index)
    }

    fn start(
        &mut self,
        ctx: &mut LlamaContext<'m>,
        index: usize,
        tokens: Vec<LlamaToken>,
        request: GenerateRequest,
        events: tokio::sync::mpsc::UnboundedSender<GenerationEvent>,
    ) -> Result<(), LocalError> {
        if tokens.len() >= self.context_tokens {
            return Err(LocalError::ContextOverflow { prompt_tokens: tokens.len(), n_ctx: self.context_tokens as u32 });
        }
        let sampler = self.sampler(&request)?;
        let slot = &mut self.slots[index];
        // Keep the shared prefix in the cache, but always evaluate at least the last prompt token:
        // its logits are what the first sampled token comes from.
        let keep = common_prefix(&slot.cached, &tokens).min(tokens.len().saturating_sub(1));
        if !matches!(ctx.clear_kv_cache_seq(Some(index as u32), Some(keep as u32), None), Ok(true)) {
            // A cache that cannot be trimmed is emptied instead; the prompt is then evaluated whole.
            let _ = ctx.clear_kv_cache_seq(Some(index as u32), None, None);
            slot.cached.clear();
        } else {
            slot.cached.truncate(keep);
        }
        let cached_tokens = slot.cached.len();
        let room = self.context_tokens - tokens.len();
        slot.last_used = self.step;
        slot.active = Some(Active {
            events,
            pending: tokens[cached_tokens..].iter().copied().collect(),
            next: None,
            sampler,
            text: TextStream::new(request.stop),
            max_tokens: (request.max_tokens as usize).min(room),
            ignore_eos: request.ignore_eos,
            generated: 0,
            prompt_tokens: tokens.len(),
            cached_tokens,
            started: Instant::now(),
            prompt_done: None,
        });
        Ok(())
    }

    fn sampler(&self, request: &GenerateRequest) -> Result<LlamaSampler, LocalError> {
        let mut chain = Vec::new();
        if let Some(grammar) = &request.grammar {
            let sampler = if grammar.triggers.is_empty() {
                LlamaSampler::grammar(self.model, &grammar.gbnf, "root")
            } else {
                let vocab = self.model.vocab();
                // A trigger that is one token (Qwen has `<tool_call>` in its vocabulary) is named as a
                // token too, so the switch does not depend on how the text was split into tokens.
                let trigger_tokens: Vec<LlamaToken> = grammar
                    .triggers
                    .iter()
                    .filter_map(|t| match vocab.tokenize(t.as_bytes(), false, true).as_slice() {
                        [single] => Some(*single),
                        _ => None,
                    })
                    .collect();
                let words = grammar.triggers.iter().map(String::as_bytes);
                LlamaSampler::grammar_lazy(self.model, &grammar.gbnf, "root", words, &trigger_tokens)
            };
            chain.push(sampler.map_err(|err| LocalError::Grammar { message: err.to_string() })?);
        }
        // Optional: it breaks loops that repeat a phrase until the token limit, but it also fights
        // legitimate copying, so it is off unless asked for.
        if request.repeat_penalty > 1.0 {
            chain.push(LlamaSampler::penalties(self.model.n_vocab(), 256, request.repeat_penalty, 0.0, 0.0));
        }
        if request.temperature <= 0.0 {
            chain.push(LlamaSampler::greedy());
        } else {
            chain.push(LlamaSampler::top_k(40));
            chain.push(LlamaSampler::top_p(0.95, 1));
            chain.push(LlamaSampler::min_p(0.05, 1));
            chain.push(LlamaSampler::temp(request.temperature));
            chain.push(LlamaSampler::dist(request.seed));
        }
        Ok(LlamaSampler::chain_simple(chain))
    }

    /// Frees slots whose caller has gone away, so an abandoned request stops costing compute.
    fn drop_cancelled(&mut self) {
        for slot in &mut self.slots {
            if slot.active.as_ref().is_some_and(|active| active.events.is_closed()) {
                slot.active = None;
            }
        }
    }

    /// Builds one batch from every active slot, decodes it, and samples a token for each slot
    /// whose prompt is fully evaluated.
    fn decode_step(&mut self, ctx: &mut LlamaContext<'m>, batch: &mut LlamaBatch) -> Result<(), LocalError> {
        batch.clear();
        let mut budget = BATCH_TOKENS;
        // (slot index, batch row whose logits belong to that slot)
        let mut sample_rows: Vec<(usize, i32)> = Vec::new();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            let Some(active) = slot.active.as_mut() else { continue };
            let seq = [index as i32];
            if let Some(token) = active.next.take() {
                if budget == 0 {
                    active.next = Some(token);
                    continue;
                }
                add(batch, token, slot.cached.len(), &seq, true)?;
                slot.cached.push(token);
                sample_rows.push((index, batch.n_tokens() - 1));
                budget -= 1;
                continue;
            }
            while budget > 0 {
                let Some(token) = active.pending.pop_front() else { break };
                let last = active.pending.is_empty();
                add(batch, token, slot.cached.len(), &seq, last)?;
                slot.cached.push(token);
                budget -= 1;
                if last {
                    sample_rows.push((index, batch.n_tokens() - 1));
                }
            }
        }
        if batch.n_tokens() == 0 {
            return Ok(());
        }
        ctx.decode(batch).map_err(|err| LocalError::Decode { message: err.to_string() })?;
        for (index, row) in sample_rows {
            self.sample(ctx, index, row);
        }
        Ok(())
    }

    fn sample(&mut self, ctx: &LlamaContext<'m>, index: usize, row: i32) {
        let vocab = self.model.vocab();
        let slot = &mut self.slots[index];
        let Some(active) = slot.active.as_mut() else { return };
        if active.prompt_done.is_none() {
            active.prompt_done = Some(Instant::now());
        }
        let token = active.sampler.sample(ctx, row);
        active.generated += 1;
        let end_of_turn = vocab.is_eog(token) && !active.ignore_eos;
        let mut stopped = end_of_turn;
        if !end_of_turn {
            let piece = vocab.token_to_piece(token, false, None);
            let pushed = active.text.push(&piece);
            if !pushed.text.is_empty() && active.events.send(GenerationEvent::Text(pushed.text)).is_err() {
                slot.active = None;
                return;
            }
            stopped = pushed.stopped;
            active.next = Some(token);
        }
        let out_of_room = active.generated >= active.max_tokens;
        if stopped || out_of_room {
            let rest = active.text.finish();
            if !rest.is_empty() && !stopped {
                let _ = active.events.send(GenerationEvent::Text(rest));
            }
            let now = Instant::now();
            let prompt_done = active.prompt_done.unwrap_or(now);
            let stats = GenerationStats {
                prompt_tokens: active.prompt_tokens,
                cached_tokens: active.cached_tokens,
                completion_tokens: active.generated,
                finish: if stopped { FinishReason::Stop } else { FinishReason::Length },
                prompt_seconds: (prompt_done - active.started).as_secs_f64(),
                decode_seconds: (now - prompt_done).as_secs_f64(),
            };
            let _ = active.events.send(GenerationEvent::Done(stats));
            slot.active = None;
        }
    }

    /// A failed decode leaves the cache in an unknown state: report the error to every active
    /// request and start their sequences afresh.
    fn fail_all(&mut self, ctx: &mut LlamaContext<'m>, err: &LocalError) {
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let Some(active) = slot.active.take() {
                let message = err.to_string();
                let _ = active.events.send(GenerationEvent::Failed(LocalError::Decode { message }));
            }
            let _ = ctx.clear_kv_cache_seq(Some(index as u32), None, None);
            slot.cached.clear();
        }
        tracing::warn!(path = %self.path.display(), "decode failed: {err}");
    }
}

/// Queues a generation, or answers a count at once: a count must not wait behind generations that
/// may run for minutes, since the caller asks before every request it sends.
fn route(job: Job, queue: &mut VecDeque<GenerateJob>, count: impl FnOnce(&str) -> usize) {
    match job {
        Job::Generate(job) => queue.push_back(job),
        Job::Count { text, reply } => {
            // The asker may have given up waiting; nothing is lost then.
            let _ = reply.send(count(&text));
        }
    }
}

/// The prompt's tokens, the one way both generation and counting tokenize, so that a count always
/// equals the prompt size a generation of the same text reports.
fn tokenize(model: &LlamaModel, prompt: &str) -> Vec<LlamaToken> {
    let vocab = model.vocab();
    vocab.tokenize(prompt.as_bytes(), vocab.should_add_bos(), true)
}

fn add(batch: &mut LlamaBatch, token: LlamaToken, pos: usize, seq: &[i32], logits: bool) -> Result<(), LocalError> {
    batch.add(token, pos as i32, seq, logits).map_err(|err| LocalError::Decode { message: err.to_string() })
}

fn common_prefix(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use tokio::sync::{mpsc as tmpsc, oneshot};

    use super::*;

    #[test]
    fn a_count_is_answered_at_once_and_a_generation_is_queued() {
        let mut queue = VecDeque::new();
        let (reply, answer) = oneshot::channel();
        route(Job::Count { text: "three short words".into(), reply }, &mut queue, |text| text.split(' ').count());
        assert_eq!(answer.blocking_recv(), Ok(3));
        assert!(queue.is_empty(), "a count never waits in the generation queue");

        let (events, _rx) = tmpsc::unbounded_channel();
        let job = GenerateJob { request: GenerateRequest::new("hi"), events };
        route(Job::Generate(job), &mut queue, |_| panic!("a generation is not counted"));
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0].request.prompt, "hi");
    }

    #[test]
    fn a_count_whose_asker_left_is_dropped_quietly() {
        let mut queue = VecDeque::new();
        let (reply, answer) = oneshot::channel();
        drop(answer);
        route(Job::Count { text: "x".into(), reply }, &mut queue, |_| 1);
        assert!(queue.is_empty());
    }
}
