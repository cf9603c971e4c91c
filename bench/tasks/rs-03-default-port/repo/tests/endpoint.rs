use endpoint::{parse_endpoint, Endpoint};

fn ep(host: &str, port: u16) -> Option<Endpoint> {
    Some(Endpoint { host: host.to_string(), port })
}

#[test]
fn host_and_port() {
    assert_eq!(parse_endpoint("example.org:8443"), ep("example.org", 8443));
}

#[test]
fn host_alone_uses_the_http_port() {
    assert_eq!(parse_endpoint("example.org"), ep("example.org", 80));
}

#[test]
fn a_bad_port_is_refused() {
    assert_eq!(parse_endpoint("example.org:http"), None);
}
