use lru::LruCache;

#[test]
fn stores_and_replaces() {
    let mut cache = LruCache::new(2);
    cache.put("a", "1");
    cache.put("a", "2");
    assert_eq!(cache.get("a").map(String::as_str), Some("2"));
    assert_eq!(cache.len(), 1);
}

#[test]
fn drops_the_oldest_when_full() {
    let mut cache = LruCache::new(2);
    cache.put("a", "1");
    cache.put("b", "2");
    cache.put("c", "3");
    assert_eq!(cache.get("a"), None);
    assert_eq!(cache.len(), 2);
}

#[test]
fn reading_an_entry_keeps_it() {
    let mut cache = LruCache::new(2);
    cache.put("a", "1");
    cache.put("b", "2");
    cache.get("a");
    cache.put("c", "3");
    assert_eq!(cache.get("a").map(String::as_str), Some("1"));
    assert_eq!(cache.get("b"), None);
}
