//! A real PEP 503 "simple" package index on 127.0.0.1 serving wheels built in the test, so that pulls
//! run the real `pip download` without the internet.

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zip::write::SimpleFileOptions;

/// A wheel: its file name and bytes.
#[derive(Clone)]
pub struct Wheel {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Builds the wheel of distribution `dist` (e.g. `tm-part1`) at `version`, holding `inner` (a path like
/// `tm_part1/data/part01.bin`) with `data`, plus the dist-info files pip reads.
pub fn build_wheel(dist: &str, version: &str, inner: &str, data: &[u8]) -> Wheel {
    let norm = dist.replace('-', "_");
    let info = format!("{norm}-{version}.dist-info");
    let package = inner.split('/').next().unwrap();
    let files: Vec<(String, Vec<u8>)> = vec![
        (format!("{package}/__init__.py"), b"".to_vec()),
        (inner.to_string(), data.to_vec()),
        (format!("{info}/METADATA"), format!("Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n").into_bytes()),
        (
            format!("{info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: braid-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
        ),
    ];
    let mut record: String = files.iter().map(|(path, bytes)| format!("{path},,{}\n", bytes.len())).collect();
    record.push_str(&format!("{info}/RECORD,,\n"));

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (path, bytes) in files.iter().chain([(format!("{info}/RECORD"), record.into_bytes())].iter()) {
        zip.start_file(path.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    Wheel { file_name: format!("{norm}-{version}-py3-none-any.whl"), bytes }
}

#[derive(Default)]
struct Shared {
    /// Project name (normalized with `-`) to its wheel.
    projects: HashMap<String, Wheel>,
    /// Projects the index pretends not to have, to cut a pull short.
    hidden: BTreeSet<String>,
    /// How many times each wheel file was downloaded.
    downloads: HashMap<String, usize>,
}

/// The running index. Dropping it stops the server.
pub struct Index {
    url: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Index {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Index {
    /// Serves `wheels`, each under the project `dist` it was built for.
    pub async fn start(wheels: Vec<(String, Wheel)>) -> Index {
        let shared = Arc::new(Mutex::new(Shared { projects: wheels.into_iter().collect(), ..Shared::default() }));
        let app = Router::new()
            .route("/simple/{project}/", get(project_page))
            .route("/files/{file}", get(file))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/simple", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Index { url, shared, task }
    }

    /// The `--index-url` to give pip.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn hide(&self, project: &str, hidden: bool) {
        let mut shared = self.shared.lock().unwrap();
        if hidden {
            shared.hidden.insert(project.to_string());
        } else {
            shared.hidden.remove(project);
        }
    }

    /// How many times the wheel of `project` was downloaded.
    pub fn downloads(&self, project: &str) -> usize {
        let shared = self.shared.lock().unwrap();
        let Some(wheel) = shared.projects.get(project) else { return 0 };
        shared.downloads.get(&wheel.file_name).copied().unwrap_or(0)
    }
}

async fn project_page(State(shared): State<Arc<Mutex<Shared>>>, Path(project): Path<String>) -> Response {
    let shared = shared.lock().unwrap();
    match shared.projects.get(&project) {
        Some(wheel) if !shared.hidden.contains(&project) => {
            let name = &wheel.file_name;
            let body = format!("<!DOCTYPE html>\n<html><body><a href=\"/files/{name}\">{name}</a></body></html>\n");
            ([(header::CONTENT_TYPE, "text/html")], body).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn file(State(shared): State<Arc<Mutex<Shared>>>, Path(file): Path<String>) -> Response {
    let mut shared = shared.lock().unwrap();
    let Some(bytes) = shared.projects.values().find(|w| w.file_name == file).map(|w| w.bytes.clone()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    *shared.downloads.entry(file).or_default() += 1;
    ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}
