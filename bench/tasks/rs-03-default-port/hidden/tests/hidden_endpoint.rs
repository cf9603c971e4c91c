use endpoint::{parse_endpoint, Endpoint, DEFAULT_PORT};

#[test]
fn the_default_is_plain_http() {
    assert_eq!(DEFAULT_PORT, 80);
}

#[test]
fn whitespace_around_a_bare_host() {
    assert_eq!(parse_endpoint("  localhost \n"), Some(Endpoint { host: "localhost".into(), port: 80 }));
}

#[test]
fn empty_hosts_and_ports_are_refused() {
    assert_eq!(parse_endpoint(""), None);
    assert_eq!(parse_endpoint(":80"), None);
    assert_eq!(parse_endpoint("example.org:0"), None);
    assert_eq!(parse_endpoint("example.org:70000"), None);
}
