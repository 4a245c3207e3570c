package coverage

import (
	"container/list"
	"sync"
)

// tileCache keeps recent coverage tiles, bounded by their bytes, each under
// the data version it was made from. A change to anything coverage reads
// moves the version, which makes every tile of the layer stale at once: a
// new station recolours grids kilometres away, so nothing finer than the
// whole layer would be exact.
type tileCache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	entries map[string]*list.Element
	lru     *list.List // front: most recently used
	hits    uint64
	misses  uint64
}

type tileEntry struct {
	key, version string
	tile         Tile
}

func newTileCache(maxBytes int64) *tileCache {
	return &tileCache{max: maxBytes, entries: map[string]*list.Element{}, lru: list.New()}
}

// cost counts a tile's bytes and a rough overhead, so that empty tiles are
// bounded too.
func (e *tileEntry) cost() int64 {
	return int64(len(e.tile.Data)+len(e.tile.ETag)+len(e.key)+len(e.version)) + 128
}

func (c *tileCache) get(key, version string) (Tile, bool) {
	if c.max <= 0 {
		return Tile{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return Tile{}, false
	}
	e := el.Value.(*tileEntry)
	if e.version != version {
		c.remove(el)
		return Tile{}, false
	}
	c.lru.MoveToFront(el)
	return e.tile, true
}

func (c *tileCache) put(key, version string, t Tile) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	e := &tileEntry{key: key, version: version, tile: t}
	if e.cost() > c.max {
		return
	}
	c.entries[key] = c.lru.PushFront(e)
	c.size += e.cost()
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
}

func (c *tileCache) remove(el *list.Element) {
	e := el.Value.(*tileEntry)
	c.lru.Remove(el)
	delete(c.entries, e.key)
	c.size -= e.cost()
}
