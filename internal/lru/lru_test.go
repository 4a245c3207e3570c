package lru

import "testing"

func TestTheLeastRecentlyUsedGoFirstPastTheBound(t *testing.T) {
	c := New[string, int](10)
	c.Put("a", 1, 4)
	c.Put("b", 2, 4)
	if v, ok := c.Get("a"); !ok || v != 1 { // a is now the most recent
		t.Fatalf("a: %v %v", v, ok)
	}
	c.Put("c", 3, 4) // 12 > 10: b goes
	if _, ok := c.Get("b"); ok {
		t.Error("b was kept past the bound")
	}
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Errorf("a went instead of b: %v %v", v, ok)
	}
	c.Put("a", 5, 2) // replaced, not counted twice
	if v, _ := c.Get("a"); v != 5 || c.Len() != 2 || c.size != 6 {
		t.Errorf("after replacing a: %v, %d entries, %d bytes", v, c.Len(), c.size)
	}
	c.Put("big", 9, 11)
	if _, ok := c.Get("big"); ok || c.Len() != 2 {
		t.Error("a value larger than the bound was kept")
	}
	c.Clear()
	if _, ok := c.Get("a"); ok || c.Len() != 0 || c.size != 0 {
		t.Error("Clear kept something")
	}
}
