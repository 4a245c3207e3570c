// Package lru is a least-recently-used cache bounded by the bytes its
// entries take (as their owner counts them). It does not lock: its owner
// holds its own lock around it, with whatever else that lock guards.
package lru

import "container/list"

// Cache maps keys to values, forgetting the least recently used beyond
// its bound.
type Cache[K comparable, V any] struct {
	max, size int
	entries   map[K]*list.Element
	order     *list.List // most recent first
}

type entry[K comparable, V any] struct {
	key   K
	value V
	size  int
}

// New returns a cache of at most max bytes.
func New[K comparable, V any](max int) *Cache[K, V] {
	return &Cache[K, V]{max: max, entries: map[K]*list.Element{}, order: list.New()}
}

// Get returns the value of key, now the most recently used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	e, ok := c.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*entry[K, V]).value, true
}

// Put keeps value under key (replacing what was there), size bytes of the
// bound; a value larger than the whole bound is not kept.
func (c *Cache[K, V]) Put(key K, value V, size int) {
	if e, ok := c.entries[key]; ok {
		c.remove(e)
	}
	if size > c.max {
		return
	}
	c.entries[key] = c.order.PushFront(&entry[K, V]{key, value, size})
	c.size += size
	for c.size > c.max {
		c.remove(c.order.Back())
	}
}

// Clear forgets everything.
func (c *Cache[K, V]) Clear() {
	clear(c.entries)
	c.order.Init()
	c.size = 0
}

// Len is the number of entries.
func (c *Cache[K, V]) Len() int { return len(c.entries) }

func (c *Cache[K, V]) remove(e *list.Element) {
	en := c.order.Remove(e).(*entry[K, V])
	delete(c.entries, en.key)
	c.size -= en.size
}
