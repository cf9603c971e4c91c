//! A distinct free TCP port per attempt (`BRAID_PORT`), so that attempts starting dev servers or test
//! servers in parallel do not collide.

use std::net::TcpListener;

/// `count` ports that were free on 127.0.0.1 a moment ago, all different. Each listener is held until
/// every port is picked, which is what makes them distinct; another program may still take one before an
/// attempt binds it, which is the usual race of this technique and rare. Ports that cannot be found are
/// left out (the caller then passes 0, meaning "pick your own").
pub(crate) fn distinct_free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count).filter_map(|_| TcpListener::bind(("127.0.0.1", 0)).ok()).collect();
    listeners.iter().filter_map(|l| l.local_addr().ok()).map(|a| a.port()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ports_are_distinct_and_bindable() {
        let ports = super::distinct_free_ports(8);
        assert_eq!(ports.len(), 8);
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 8, "{ports:?}");
        for port in ports {
            assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(), "port {port} is free again");
        }
    }
}
