//! Headless Chromium for tests of HTML output: finds the browser, opens a page in it and drives it over
//! the DevTools protocol, to read console errors and network requests, evaluate scripts and take
//! full-page screenshots.
//!
//! The protocol runs over `--remote-debugging-pipe` (JSON messages separated by NUL bytes, Chromium
//! reading fd 3 and writing fd 4) rather than a websocket, so no port is opened and no websocket client
//! is needed. A `sh` wrapper moves our stdin/stdout pipes onto fds 3 and 4 before exec'ing Chromium,
//! which keeps this free of unsafe `pre_exec` code.
//!
//! `cargo xtask test` installs Chromium before the suite runs and sets `BRAID_REQUIRE_CHROMIUM=1` when
//! that worked; a missing browser is then a failure. Without that variable a test that needs the browser
//! prints why it is skipping.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long one protocol command, or the page's load, may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The Chromium binary: `/usr/bin/chromium`, else `chromium` or `chromium-browser` on `PATH`. Returns
/// `None` after printing the skip reason when there is none and it is not required; panics when
/// `BRAID_REQUIRE_CHROMIUM=1`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(found) = find_chromium() {
        return Some(found);
    }
    let reason = "chromium is not installed (looked for /usr/bin/chromium, and chromium or chromium-browser on PATH); \
                  run `sudo apt-get install -y chromium` or `cargo xtask test`, which installs it";
    crate::unavailable("BRAID_REQUIRE_CHROMIUM", reason);
    None
}

fn find_chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// One page open in its own headless Chromium (a fresh profile in a temp dir). Dropping it closes the
/// browser and kills its whole process group, so no Chromium process outlives the test.
pub struct Page {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Every event received so far, in order.
    events: Vec<Value>,
    profile: tempfile::TempDir,
}

impl Page {
    /// Opens the file at `path` in a new headless Chromium with a 1280 px wide viewport and waits for
    /// its load event. Returns `None` (after printing why) when Chromium is not installed and not
    /// required. Panics when the browser cannot start or the page does not load.
    pub fn open(path: &Path) -> Option<Page> {
        let chromium = chromium()?;
        Some(Page::open_with(&chromium, path, 1280))
    }

    /// Like [`Page::open`] with a given Chromium binary and viewport width.
    pub fn open_with(chromium: &Path, path: &Path, width: u32) -> Page {
        let path = std::fs::canonicalize(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        let profile = tempfile::tempdir().expect("temp dir for the chromium profile");
        let stderr = std::fs::File::create(profile.path().join("chromium-stderr.log")).expect("chromium log file");
        let mut child = Command::new("sh")
            .arg("-c")
            // Our stdin and stdout pipes become Chromium's fds 3 and 4, which --remote-debugging-pipe uses.
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().join("profile").display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            // Its own process group, so that drop can kill the renderer and helper processes too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
        let input = child.stdin.take().expect("chromium stdin");
        let output = child.stdout.take().expect("chromium stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            let mut buf = Vec::new();
            let mut byte = [0u8; 8192];
            while let Ok(n) = reader.read(&mut byte) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&byte[..n]);
                while let Some(end) = buf.iter().position(|b| *b == 0) {
                    let message: Vec<u8> = buf.drain(..=end).collect();
                    if let Ok(value) = serde_json::from_slice::<Value>(&message[..end])
                        && tx.send(value).is_err()
                    {
                        return;
                    }
                }
            }
        });
        let mut page = Page { child, input, messages, next_id: 0, session: String::new(), events: Vec::new(), profile };
        let target = page.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("targetId").to_string();
        let attached = page.browser_call("Target.attachToTarget", json!({"targetId": target_id, "flatten": true}));
        page.session = attached["sessionId"].as_str().expect("sessionId").to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable", "Network.enable"] {
            page.call(domain, json!({}));
        }
        page.set_width(width);
        let url = format!("file://{}", path.display());
        let navigated = page.call("Page.navigate", json!({"url": url}));
        if let Some(error) = navigated.get("errorText").and_then(Value::as_str) {
            panic!("chromium could not load {url}: {error}");
        }
        page.wait_for_event("Page.loadEventFired");
        page
    }

    /// Sets the viewport to `width` × 900 CSS pixels (to check a narrow window, for example).
    pub fn set_width(&mut self, width: u32) {
        let params = json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": false});
        self.call("Emulation.setDeviceMetricsOverride", params);
    }

    /// Evaluates `js` in the page and returns its value (awaiting a promise); panics with the message
    /// when it throws.
    pub fn eval(&mut self, js: &str) -> Value {
        let params = json!({"expression": js, "returnByValue": true, "awaitPromise": true});
        let result = self.call("Runtime.evaluate", params);
        if let Some(details) = result.get("exceptionDetails") {
            panic!("evaluating {js:?} threw: {details}");
        }
        result["result"].get("value").cloned().unwrap_or(Value::Null)
    }

    /// Every error the page produced so far: `console.error` calls, uncaught exceptions, browser log
    /// entries of level error, and failed network requests.
    pub fn console_errors(&mut self) -> Vec<String> {
        self.settle();
        let mut urls: HashMap<String, String> = HashMap::new();
        let mut errors = Vec::new();
        for event in self.session_events() {
            let params = &event["params"];
            match event["method"].as_str().unwrap_or("") {
                "Runtime.consoleAPICalled" if params["type"] == "error" => {
                    let args = params["args"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                    let text: Vec<String> = args
                        .iter()
                        .map(|a| a.get("value").or(a.get("description")).map(|v| v.to_string()).unwrap_or_default())
                        .collect();
                    errors.push(format!("console.error: {}", text.join(" ")));
                }
                "Runtime.exceptionThrown" => {
                    let details = &params["exceptionDetails"];
                    let text = details["exception"]["description"].as_str().or(details["text"].as_str());
                    errors.push(format!("uncaught exception: {}", text.unwrap_or("(no description)")));
                }
                "Log.entryAdded" if params["entry"]["level"] == "error" => {
                    let entry = &params["entry"];
                    errors.push(format!(
                        "log: {} {}",
                        entry["text"].as_str().unwrap_or(""),
                        entry["url"].as_str().unwrap_or("")
                    ));
                }
                "Network.requestWillBeSent" => {
                    let id = params["requestId"].as_str().unwrap_or("").to_string();
                    urls.insert(id, params["request"]["url"].as_str().unwrap_or("").to_string());
                }
                "Network.loadingFailed" => {
                    let url = urls.get(params["requestId"].as_str().unwrap_or("")).cloned().unwrap_or_default();
                    errors.push(format!("request failed: {url}: {}", params["errorText"].as_str().unwrap_or("")));
                }
                _ => {}
            }
        }
        errors
    }

    /// The URL of every network request the page made so far (the page itself included), in order.
    pub fn requests(&mut self) -> Vec<String> {
        self.settle();
        self.session_events()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .map(|e| e["params"]["request"]["url"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Saves a PNG screenshot of the whole page (not only the viewport) to `path`, creating its
    /// directory.
    pub fn screenshot(&mut self, path: &Path) {
        let metrics = self.call("Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let (width, height) = (size["width"].as_f64().unwrap_or(1280.0), size["height"].as_f64().unwrap_or(900.0));
        let clip = json!({"x": 0, "y": 0, "width": width.ceil(), "height": height.ceil(), "scale": 1});
        let shot =
            self.call("Page.captureScreenshot", json!({"format": "png", "captureBeyondViewport": true, "clip": clip}));
        let png = base64_decode(shot["data"].as_str().expect("screenshot data")).expect("screenshot base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Sends a command to the page's session and returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session))
    }

    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("json");
        bytes.push(0);
        if let Err(e) = self.input.write_all(&bytes).and_then(|()| self.input.flush()) {
            panic!("cannot send {method} to chromium: {e}{}", self.log_tail());
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.receive(deadline, method);
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    panic!("chromium refused {method}: {error}");
                }
                return message["result"].clone();
            }
            self.events.push(message);
        }
    }

    /// Waits for the page's event `method`, keeping every event received meanwhile.
    fn wait_for_event(&mut self, method: &str) {
        if self.session_events().any(|e| e["method"] == method) {
            return;
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.receive(deadline, method);
            let done = message["method"] == method && message["sessionId"] == self.session.as_str();
            self.events.push(message);
            if done {
                return;
            }
        }
    }

    /// Collects the events that arrive within a short quiet period, so errors logged just after load
    /// are not missed.
    fn settle(&mut self) {
        // A round trip through the renderer flushes what the page has already queued.
        self.eval("0");
        while let Ok(message) = self.messages.recv_timeout(Duration::from_millis(150)) {
            self.events.push(message);
        }
    }

    fn receive(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => {
                panic!("chromium did not answer {waiting_for} within {TIMEOUT:?}{}", self.log_tail())
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("chromium exited while waiting for {waiting_for}{}", self.log_tail())
            }
        }
    }

    fn session_events(&self) -> impl Iterator<Item = &Value> {
        self.events.iter().filter(|e| e["sessionId"] == self.session.as_str())
    }

    /// The end of Chromium's stderr, to explain a failure.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.profile.path().join("chromium-stderr.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!("\nchromium stderr (last lines):\n{}", lines[lines.len().saturating_sub(15)..].join("\n"))
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // Ask politely first, so the profile is written out and the helpers exit by themselves.
        let close = serde_json::to_vec(&json!({"id": u64::MAX >> 12, "method": "Browser.close"}));
        if let Ok(mut bytes) = close {
            bytes.push(0);
            let _ = self.input.write_all(&bytes).and_then(|()| self.input.flush());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group (the browser, if it ignored the close, and any helper) goes now.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// Decodes standard base64 (with or without padding); `None` on a character outside the alphabet.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        let cases: [(&str, &[u8]); 5] = [
            ("", b""),
            ("Zg==", b"f"),
            ("Zm8", b"fo"),
            ("Zm9vYmFy", b"foobar"),
            ("iVBORw0KGgo=", b"\x89PNG\r\n\x1a\n"),
        ];
        for (text, expected) in cases {
            assert_eq!(base64_decode(text).unwrap(), expected, "{text}");
        }
        assert_eq!(base64_decode("a*b"), None);
    }
}
