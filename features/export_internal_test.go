package features

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// For featurejson_test.go (package features_test: dbtest imports features).
var (
	PropertyColumns = propertyColumns
	SelectFeature   = selectFeature
	TextResults     = textResults
)

func ScanFeatures(rows pgx.Rows, names []string, fn func(Feature) error) error {
	return scanFeatures(rows, names, fn)
}

// ReadOnly is readOnly, for a test of the transaction's settings.
func (s *Store) ReadOnly(ctx context.Context, iso pgx.TxIsoLevel, fn func(pgx.Tx) error) error {
	return s.readOnly(ctx, iso, fn)
}
