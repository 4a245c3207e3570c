package demo

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
)

// Fingerprint identifies the demo data set: a digest of the generation
// scripts, the code lists and the hand-set inputs (outline, county layouts,
// gaps, accounts). Test templates loaded with an older demo city carry an
// older fingerprint and are not reused.
func Fingerprint() string {
	h := sha256.New()
	for _, fsys := range []embed.FS{scripts, adminCSV} {
		// WalkDir visits in lexical order, so the digest is stable.
		_ = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fsys.ReadFile(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s %d\n", path, len(b))
			h.Write(b)
			return nil
		})
	}
	fmt.Fprintf(h, "%s\n%v\n%v\n%v\n", outlineWKT(), countyLayouts(), readinessGaps(), accounts())
	return hex.EncodeToString(h.Sum(nil))[:12]
}
