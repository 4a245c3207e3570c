package tiles

import (
	"strconv"
	"sync"

	"github.com/tidwall/rtree"
)

// cacheKey names a cached tile: the layer, the tile and the scope it was
// made for, so a tile never reaches a user of another scope; and, for
// tiles with daily attributes, the day it was made for. Numbers only
// (Service.key), so that a hit hashes one small block of memory rather
// than three strings.
type cacheKey struct {
	tile  TileID
	layer int    // Service.index of the layer's name
	scope uint32 // Service.scopeID of its fingerprint
	day   int32  // days since 1970-01-01 in UTC+8 for a daily tile (Service.day), else 0
}

type entry struct {
	key     cacheKey
	layer   int // index of the layer's tree
	reach   rect
	data    []byte
	gz      []byte // data gzipped
	etag    string
	etags   []string    // etag as a header value, made once (len == cap: see Tile.ETagHeader)
	gzETags []string    // the gzip's etag as a header value, likewise
	lengths [2][]string // Content-Length header values of data and gz, likewise
	size    int64

	prev, next *entry // LRU ring, most recent after the sentinel
}

// entryOverhead approximates what an entry costs besides its bytes (the
// entry, its map slot and tree item), so that many empty tiles count too.
const entryOverhead = 256

// invalidation is one change the cache was told of, remembered so that a
// tile read from the database before the change committed is not stored
// after the change dropped its predecessor.
type invalidation struct {
	gen    uint64
	layers uint64 // bit i: layer tree i
	box    rect
	every  bool
}

// recentSize bounds the remembered invalidations; a tile whose query began
// more invalidations ago than this is simply not stored.
const recentSize = 4096

// cache is an LRU of tiles bounded by bytes, with every tile indexed by the
// area it shows (its reach) in one R-tree per layer, so a change drops
// exactly the tiles of the layers it affects whose reach meets the changed
// feature's old or new box, at every zoom.
//
// Freshness rule: a tile is stored only if no invalidation that meets it
// arrived since its query began (begin returns the generation to quote).
// The invalidation is applied before the writer's request is answered
// (Service.Sync), so a request made after a write either finds no tile or
// queries the database after the commit.
type cache struct {
	mu      sync.Mutex
	max     int64
	size    int64
	live    bool // false while change notifications may be missed: bypassed
	entries map[cacheKey]*entry
	lru     entry // sentinel
	trees   []rtree.RTreeG[*entry]
	gen     uint64
	recent  [recentSize]invalidation
	stats   Stats
}

// Stats counts what the cache did.
type Stats struct {
	Hits, Misses, Stores, Skipped, Evicted, Invalidated uint64
	Entries                                             int
	Bytes                                               int64
}

func newCache(maxBytes int64, layers int) *cache {
	c := &cache{max: maxBytes, entries: map[cacheKey]*entry{}, trees: make([]rtree.RTreeG[*entry], layers)}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

func (c *cache) enabled() bool { return c != nil && c.max > 0 }

func (c *cache) get(k cacheKey) (*entry, bool) { return c.find(k, true) }

// find is get; a miss is counted only when countMiss (a caller that asks
// again on a miss counts it then).
func (c *cache) find(k cacheKey, countMiss bool) (*entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || !c.live {
		if countMiss {
			c.stats.Misses++
		}
		return nil, false
	}
	c.stats.Hits++
	c.unlink(e)
	c.pushFront(e)
	return e, true
}

// begin returns the generation a query about to start must quote to put.
func (c *cache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores a tile unless an invalidation meeting it arrived since gen, or
// the cache is not live. It reports whether the tile was stored.
func (c *cache) put(k cacheKey, layer int, reach rect, t Tile, gen uint64) bool {
	size := int64(len(t.Data)+len(t.Gzip)) + int64(3*len(t.ETag)) + entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || size > c.max || c.staleSince(gen, layer, reach) {
		c.stats.Skipped++
		return false
	}
	if old, ok := c.entries[k]; ok {
		c.remove(old)
	}
	e := &entry{key: k, layer: layer, reach: reach, data: t.Data, gz: t.Gzip, etag: t.ETag, etags: []string{t.ETag}, gzETags: []string{GzipETag(t.ETag)}, size: size,
		lengths: [2][]string{{strconv.Itoa(len(t.Data))}, {strconv.Itoa(len(t.Gzip))}}}
	c.entries[k] = e
	c.pushFront(e)
	c.trees[layer].Insert([2]float64{reach[0], reach[1]}, [2]float64{reach[2], reach[3]}, e)
	c.size += size
	c.stats.Stores++
	for c.size > c.max {
		c.remove(c.lru.prev)
		c.stats.Evicted++
	}
	return true
}

// staleSince reports whether an invalidation after gen meets the tile.
func (c *cache) staleSince(gen uint64, layer int, reach rect) bool {
	if gen == c.gen {
		return false
	}
	if c.gen-gen >= recentSize {
		return true
	}
	for g := gen + 1; g <= c.gen; g++ {
		inv := &c.recent[g%recentSize]
		if inv.every || inv.layers&(1<<layer) != 0 && inv.box.meets(reach) {
			return true
		}
	}
	return false
}

// invalidate drops the tiles of the layers in mask whose reach meets box.
func (c *cache) invalidate(mask uint64, boxes []rect) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	dropped := 0
	var hit []*entry
	for _, b := range boxes {
		c.gen++
		c.recent[c.gen%recentSize] = invalidation{gen: c.gen, layers: mask, box: b}
		for i := range c.trees {
			if mask&(1<<i) == 0 {
				continue
			}
			hit = hit[:0]
			c.trees[i].Search([2]float64{b[0], b[1]}, [2]float64{b[2], b[3]}, func(_, _ [2]float64, e *entry) bool {
				hit = append(hit, e)
				return true
			})
			for _, e := range hit {
				c.remove(e)
				dropped++
			}
		}
	}
	c.stats.Invalidated += uint64(dropped)
	return dropped
}

// flush drops everything; live says whether the cache may serve afterwards.
func (c *cache) flush(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.recent[c.gen%recentSize] = invalidation{gen: c.gen, every: true}
	c.stats.Invalidated += uint64(len(c.entries))
	c.entries = map[cacheKey]*entry{}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	for i := range c.trees {
		c.trees[i].Clear()
	}
	c.size = 0
	c.live = live
}

func (c *cache) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = len(c.entries)
	s.Bytes = c.size
	return s
}

func (c *cache) contains(k cacheKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[k]
	return ok
}

func (c *cache) remove(e *entry) {
	delete(c.entries, e.key)
	c.unlink(e)
	c.trees[e.layer].Delete([2]float64{e.reach[0], e.reach[1]}, [2]float64{e.reach[2], e.reach[3]}, e)
	c.size -= e.size
}

func (c *cache) unlink(e *entry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (c *cache) pushFront(e *entry) {
	e.next = c.lru.next
	e.prev = &c.lru
	c.lru.next.prev = e
	c.lru.next = e
}
