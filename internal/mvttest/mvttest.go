// Package mvttest reads vector tiles in tests: the tile layers' and the
// coverage layer's tests decode what they serve the same way.
package mvttest

import (
	"fmt"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"
)

// Extent is the extent every riskmap tile layer is drawn at.
const Extent = 4096

// Decode reads a tile with orb's decoder (which can panic on bad input:
// recovered as a failure) into its layers by name. Every layer must be a
// version 2 layer of Extent, and appear once.
func Decode(t testing.TB, data []byte) map[string]*mvt.Layer {
	t.Helper()
	var ls mvt.Layers
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("decoder panicked: %v", r)
			}
		}()
		ls, err = mvt.Unmarshal(data)
	}()
	if err != nil {
		t.Fatalf("decode tile of %d bytes: %v", len(data), err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range ls {
		if _, dup := out[l.Name]; dup {
			t.Fatalf("layer %s appears twice", l.Name)
		}
		if l.Version != 2 || l.Extent != Extent {
			t.Errorf("layer %s: version %d extent %d, want 2 and %d", l.Name, l.Version, l.Extent, Extent)
		}
		out[l.Name] = l
	}
	return out
}
