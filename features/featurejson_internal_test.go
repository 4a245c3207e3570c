package features

import (
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"riskmap/postgres"
)

// failedRows is what pgx hands back for a query whose connection broke
// before the columns arrived: no columns, the error in Err.
type failedRows struct {
	pgx.Rows
	err error
}

func (r failedRows) Close()                                       {}
func (r failedRows) Err() error                                   { return r.err }
func (r failedRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (r failedRows) Next() bool                                   { return false }

// TestAFeatureQueryThatLostItsConnectionSaysSo: the query's own error, not
// a column count, so that the API answers 503 (the database is away) and
// not 500.
func TestAFeatureQueryThatLostItsConnectionSaysSo(t *testing.T) {
	err := scanFeatures(failedRows{err: io.ErrUnexpectedEOF}, []string{"name"}, func(Feature) error { return nil })
	if !postgres.Unavailable(err) {
		t.Fatalf("scanFeatures of a broken query: %v, want an error postgres.Unavailable recognises", err)
	}
}
