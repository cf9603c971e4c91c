//! Parses the `server` setting of the config file: `host` or `host:port`.

/// The port used when the setting names only a host: plain HTTP.
pub const DEFAULT_PORT: u16 = 8080;

/// A server address from the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

/// Parses `host` or `host:port`. Returns `None` when the host is empty or the port is not a number
/// from 1 to 65535. Surrounding whitespace is ignored.
pub fn parse_endpoint(text: &str) -> Option<Endpoint> {
    let text = text.trim();
    let (host, port) = match text.split_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok()?),
        None => (text, DEFAULT_PORT),
    };
    if host.is_empty() || port == 0 {
        return None;
    }
    Some(Endpoint { host: host.to_string(), port })
}
