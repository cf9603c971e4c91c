//! `braid model pull|list|add|rm|serve`: the command-line face of `braid_local::store` and
//! `braid_local::server`, with a progress bar on stderr for pulls and a table on stdout for listings.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use braid_local::Engine;
use braid_local::server::{RequestLog, ServeOptions, ServedModel, router};
use braid_local::store::{self, ListedModel, ModelStore, PullOptions, PullProgress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{GlobalArgs, ModelAddArgs, ModelCommand, ModelPullArgs, ModelServeArgs};

/// Runs one `braid model` subcommand.
pub async fn run(global: &GlobalArgs, command: ModelCommand) -> anyhow::Result<ExitCode> {
    let home = crate::exec::braid_home()?;
    let store = crate::local::store(&home);
    match command {
        ModelCommand::Pull(args) => pull(&store, args).await,
        ModelCommand::List => list(&store),
        ModelCommand::Add(args) => add(&store, args),
        ModelCommand::Rm(args) => {
            store.remove(&args.name)?;
            say(&format!("removed {}", args.name))
        }
        ModelCommand::Serve(args) => serve(&home, global, args).await,
    }
}

/// Loads the model once and serves it until Ctrl-C.
async fn serve(home: &Path, global: &GlobalArgs, args: ModelServeArgs) -> anyhow::Result<ExitCode> {
    let config = crate::exec::load_config(home, global)?;
    // The log is opened before the model loads, so a bad path fails at once rather than after it.
    let request_log = match &args.request_log {
        Some(path) => Some(Arc::new(RequestLog::open(path)?)),
        None => None,
    };
    let mut settings = config.toml.local.clone();
    settings.parallel = args.parallel.or(settings.parallel);
    settings.context_tokens = args.context_tokens.or(settings.context_tokens);
    let name = args.name.as_deref().or(config.local_model.as_deref());
    let model = crate::local::find_model(home, name)?;
    let options = crate::local::engine_options(&settings, 4);
    let path = model.path.clone();
    let engine = tokio::task::spawn_blocking(move || Engine::load(&path, options)).await??;
    let parallel = engine.info().parallel;
    let context = engine.info().context_tokens;
    let served = ServedModel { id: model.name.clone(), family: model.family };
    let app = router(Arc::new(engine), served, ServeOptions { request_log });
    // Only loopback: the server has no authentication, so it must not be reachable from elsewhere.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}; pick another --port", args.port))?;
    let addr = listener.local_addr().context("cannot read the listening address")?;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "serving {} at http://{addr}/v1 ({parallel} parallel, {context}-token context each); Ctrl-C stops",
        model.name
    );
    if let Some(path) = &args.request_log {
        let _ = writeln!(err, "logging every finished generation to {}", path.display());
    }
    drop(err);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the server stopped with an error")?;
    Ok(ExitCode::SUCCESS)
}

async fn pull(store: &ModelStore, args: ModelPullArgs) -> anyhow::Result<ExitCode> {
    let name = args.name.as_deref().unwrap_or(store::DEFAULT_MODEL);
    let Some(entry) = store::find(name) else {
        let names: Vec<&str> = store::catalog().iter().map(|e| e.name).collect();
        bail!(
            "`{name}` is not in the catalog; pull one of {} or add a GGUF you have with `braid model add PATH --name {name}`",
            names.join(", ")
        );
    };
    let opts = PullOptions { extra_args: args.pip_args, ..PullOptions::default() };
    let mut bar = PullBar::new(name);
    // Ctrl-C drops the pull, which kills pip's process group and stops the join; what is downloaded
    // stays in the cache for the next try.
    let mut on_progress = |event| bar.update(event);
    let result = tokio::select! {
        result = store.pull(entry, &opts, &mut on_progress) => Some(result),
        _ = tokio::signal::ctrl_c() => None,
    };
    bar.finish();
    let Some(result) = result else {
        bail!("interrupted; run `braid model pull {name}` again to resume from the downloaded parts");
    };
    let model = result?;
    say(&format!(
        "installed {} ({}, sha256 {}) at {}",
        model.name,
        human_size(model.size),
        model.sha256,
        model.path.display()
    ))
}

fn add(store: &ModelStore, args: ModelAddArgs) -> anyhow::Result<ExitCode> {
    let model = store.add(&args.path, &args.name)?;
    say(&format!(
        "added {} ({}, family {}) at {}",
        model.name,
        human_size(model.size),
        model.family.as_str(),
        model.path.display()
    ))
}

fn list(store: &ModelStore) -> anyhow::Result<ExitCode> {
    let rows: Vec<[String; 5]> = store.list()?.iter().map(row).collect();
    let header = ["NAME", "SIZE", "FAMILY", "STATUS", "PATH"].map(String::from);
    let mut widths = [0usize; 5];
    for cells in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for cells in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn row(model: &ListedModel) -> [String; 5] {
    let (status, path) = match &model.path {
        Some(path) => ("installed", path.display().to_string()),
        None => ("available", "-".to_string()),
    };
    [model.name.clone(), human_size(model.size), model.family.as_str().to_string(), status.to_string(), path]
}

/// Bytes in decimal units with one decimal, as download sizes are usually shown.
fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, f64); 3] = [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (unit, scale) in UNITS {
        if bytes as f64 >= scale {
            return format!("{:.1} {unit}", bytes as f64 / scale);
        }
    }
    format!("{bytes} B")
}

/// Prints one line on stdout.
fn say(line: &str) -> anyhow::Result<ExitCode> {
    writeln!(std::io::stdout().lock(), "{line}").context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The pull's progress on stderr: a bar of parts while fetching, then of bytes while joining. When
/// stderr is not a terminal the bar draws nothing, so each step is written as a plain line instead.
struct PullBar {
    bar: ProgressBar,
    plain: bool,
    joining: bool,
    name: String,
}

impl PullBar {
    fn new(name: &str) -> PullBar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(style("{msg} [{bar:30}] part {pos}/{len}"));
        PullBar { bar, plain: !std::io::stderr().is_terminal(), joining: false, name: name.to_string() }
    }

    fn update(&mut self, event: PullProgress) {
        match event {
            PullProgress::Fetching { part, parts, requirement, bytes_fetched } => {
                self.bar.set_length(parts as u64);
                self.bar.set_position(part as u64 - 1);
                let msg = format!("fetching {requirement} ({} so far)", human_size(bytes_fetched));
                self.plain_line(&format!("{} part {part}/{parts}: {msg}", self.name));
                self.bar.set_message(msg);
            }
            PullProgress::Fetched { part, .. } => self.bar.set_position(part as u64),
            PullProgress::Joining { done, total } => {
                if !self.joining {
                    self.joining = true;
                    self.plain_line(&format!("{}: joining {} into one GGUF", self.name, human_size(total)));
                    self.bar.set_style(style("joining [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})"));
                    self.bar.set_length(total);
                }
                self.bar.set_position(done);
            }
            PullProgress::Verifying => {
                self.plain_line(&format!("{}: verifying size and sha256", self.name));
                self.bar.set_message("verifying sha256");
            }
        }
    }

    fn plain_line(&self, line: &str) {
        if self.plain {
            // Progress is best effort: a closed stderr must not fail the pull.
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (bytes, want) in [(0, "0 B"), (999, "999 B"), (98_362_432, "98.4 MB"), (1_117_320_768, "1.1 GB")] {
            assert_eq!(human_size(bytes), want);
        }
    }
}
