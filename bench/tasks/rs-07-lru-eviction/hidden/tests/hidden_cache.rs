use lru::LruCache;

fn get(cache: &mut LruCache, key: &str) -> Option<String> {
    cache.get(key).cloned()
}

#[test]
fn rewriting_an_entry_keeps_it() {
    let mut cache = LruCache::new(2);
    cache.put("a", "1");
    cache.put("b", "2");
    cache.put("a", "3");
    cache.put("c", "4");
    assert_eq!(get(&mut cache, "a").as_deref(), Some("3"));
    assert_eq!(get(&mut cache, "b"), None);
}

#[test]
fn never_holds_more_than_its_capacity() {
    let mut cache = LruCache::new(3);
    for round in 0..5 {
        for key in ["a", "b", "c", "d"] {
            cache.put(key, &round.to_string());
            get(&mut cache, "a");
            assert!(cache.len() <= 3, "{} entries", cache.len());
        }
    }
    assert_eq!(get(&mut cache, "a").as_deref(), Some("4"));
    assert_eq!(get(&mut cache, "d").as_deref(), Some("4"));
}

#[test]
fn many_reads_then_evictions() {
    let mut cache = LruCache::new(2);
    cache.put("a", "1");
    cache.put("b", "2");
    for _ in 0..3 {
        get(&mut cache, "a");
        get(&mut cache, "b");
    }
    get(&mut cache, "a");
    cache.put("c", "3");
    assert_eq!(get(&mut cache, "b"), None);
    cache.put("d", "4");
    assert_eq!(get(&mut cache, "a"), None);
    assert_eq!(get(&mut cache, "c").as_deref(), Some("3"));
    assert_eq!(get(&mut cache, "d").as_deref(), Some("4"));
    assert_eq!(cache.len(), 2);
}

#[test]
fn removed_entries_are_forgotten() {
    let mut cache = LruCache::new(1);
    cache.put("a", "1");
    assert_eq!(cache.remove("a").as_deref(), Some("1"));
    assert!(cache.is_empty());
    cache.put("b", "2");
    assert_eq!(get(&mut cache, "b").as_deref(), Some("2"));
}
