// Package cache is a string cache safe for concurrent use.
package cache

import "sync"

// Cache maps keys to values; use New.
type Cache struct {
	mu sync.Mutex
	m  map[string]string
}

// New returns an empty cache.
func New() *Cache {
	return &Cache{m: make(map[string]string)}
}

// Get returns the value for key and whether it was present.
func (c *Cache) Get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}
