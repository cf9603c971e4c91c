//! Builds the embedded-model client from config: finds the model in the store (or takes a `.gguf`
//! path), loads it with llama.cpp and wraps it as a `ModelClient`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_core::config::LocalToml;
use braid_local::store::{Family, ModelStore};
use braid_local::{Engine, EngineOptions, LocalClient, LocalSampling};
use braid_model::ModelClient;

/// A model chosen for loading: where it is, what to call it, and its chat family.
pub struct LocalModel {
    pub name: String,
    pub path: PathBuf,
    pub family: Family,
}

/// The model store under braid's home: `$BRAID_HOME/models` (by default `~/.braid/models`).
pub fn store(home: &Path) -> ModelStore {
    ModelStore::new(home.join("models"))
}

/// Finds `model` (a store name or a `.gguf` path; the default model when `None`). A missing model
/// is an error that says which `braid model pull` to run.
pub fn find_model(home: &Path, model: Option<&str>) -> anyhow::Result<LocalModel> {
    let name = model.unwrap_or(braid_local::store::DEFAULT_MODEL);
    if name.ends_with(".gguf") {
        let path = PathBuf::from(name);
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| name.to_string());
        // A file given by path is checked the same way `braid model add` checks one, so a truncated
        // or foreign file gets a message about the file rather than a llama.cpp failure.
        let header = braid_local::store::gguf::read_header(&path)?;
        let family = Family::detect(header.architecture.as_deref(), header.name.as_deref());
        return Ok(LocalModel { name: stem, path, family });
    }
    let installed = store(home).resolve(name)?;
    Ok(LocalModel { name: installed.name, path: installed.path, family: installed.family })
}

/// Engine options from the `[local]` table; `parallel` is the default when the table leaves it out.
pub fn engine_options(settings: &LocalToml, parallel: u32) -> EngineOptions {
    let defaults = EngineOptions::default();
    EngineOptions {
        context_tokens: settings.context_tokens.unwrap_or(defaults.context_tokens),
        parallel: settings.parallel.unwrap_or(parallel),
        threads: settings.threads,
    }
}

/// Loads `model` and returns a client serving `parallel` sessions at once (each gets its own sequence
/// and context), with the model's name for the sessions.
pub fn client(
    home: &Path,
    model: Option<&str>,
    settings: &LocalToml,
    parallel: u32,
) -> anyhow::Result<(Arc<dyn ModelClient>, String)> {
    let model = find_model(home, model)?;
    let engine = Engine::load(&model.path, engine_options(settings, parallel))?;
    let mut sampling = LocalSampling::default();
    if let Some(temperature) = settings.temperature {
        sampling.temperature = temperature;
    }
    let client = LocalClient::new(Arc::new(engine), model.family, sampling);
    Ok((Arc::new(client), model.name))
}
