package postgres

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"riskmap"
)

// Translate turns database errors that users cause (constraint and trigger
// violations) into *riskmap.Error with a message naming the problem; other
// errors are returned unchanged, as internal faults.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return riskmap.Errorf(riskmap.ENOTFOUND, "not found")
	}
	if Unavailable(err) {
		return &riskmap.Error{Code: riskmap.EUNAVAILABLE, Err: err, Message: "the database is unavailable; try again shortly"}
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "RM001", "RM002", "RM003", "RM010": // placement, grid integrity, domain rules raised by triggers
		return triggerError(riskmap.EUNPROCESSABLE, pe, err)
	case "RM011", "RM012": // stock that would go below nothing, a ledger rewritten (572_stock_movements.sql)
		return triggerError(riskmap.ECONFLICT, pe, err)
	case "23514": // check_violation
		return &riskmap.Error{Code: riskmap.EUNPROCESSABLE, Err: err,
			Message: fmt.Sprintf("value breaks rule %s of %s", pe.ConstraintName, pe.TableName),
			Details: []riskmap.Detail{{Field: pe.ColumnName, Message: "constraint " + pe.ConstraintName}}}
	case "23502": // not_null_violation
		return &riskmap.Error{Code: riskmap.EUNPROCESSABLE, Err: err,
			Message: fmt.Sprintf("%s is required", pe.ColumnName),
			Details: []riskmap.Detail{{Field: pe.ColumnName, Message: "required"}}}
	case "23505": // unique_violation
		return &riskmap.Error{Code: riskmap.ECONFLICT, Err: err,
			Message: fmt.Sprintf("already exists: %s", pe.Detail),
			Details: []riskmap.Detail{{Field: pe.ConstraintName, Message: pe.Detail}}}
	case "23503": // foreign_key_violation
		return &riskmap.Error{Code: riskmap.ECONFLICT, Err: err,
			Message: fmt.Sprintf("refers to or is referred to by another record: %s", pe.Detail),
			Details: []riskmap.Detail{{Field: pe.ConstraintName, Message: pe.Detail}}}
	case "22P02", "22023", "XX000", "22000":
		// invalid text representation, invalid parameter (e.g. GeoJSON PostGIS
		// refuses), internal geometry errors raised by GEOS on bad input
		return &riskmap.Error{Code: riskmap.EUNPROCESSABLE, Err: err, Message: pe.Message}
	case "40001", "40P01": // serialization failure, deadlock: the client may retry
		return &riskmap.Error{Code: riskmap.ECONFLICT, Err: err, Message: "conflicting concurrent change; retry"}
	case "57014": // query_canceled (statement timeout)
		return &riskmap.Error{Code: riskmap.EUNAVAILABLE, Err: err, Message: "the query took too long"}
	}
	return err
}

// triggerError is a rule a trigger raised: its message, and the field and
// values it named in DETAIL (JSON).
func triggerError(code string, pe *pgconn.PgError, err error) error {
	e := &riskmap.Error{Code: code, Message: pe.Message, Err: err}
	d := riskmap.Detail{Message: pe.Message}
	var extra map[string]any
	if json.Unmarshal([]byte(pe.Detail), &extra) == nil {
		if f, ok := extra["field"].(string); ok {
			d.Field = f
		}
		d.Value = extra
	}
	return e.WithDetails(d)
}
