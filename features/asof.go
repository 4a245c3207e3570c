package features

import (
	"context"
	"fmt"
	"strings"
	"time"

	"riskmap"
	"riskmap/postgres"
)

// A layer as it stood at a time T is read from the audit log: a row's
// state then is what its last logged change at or before T left (nothing,
// if that was its deletion); a row with no change until T but some after
// stood as the first later change found it (nothing, if that created it);
// a row never changed since stands as it is. This holds exactly as long as
// every change since T was logged — true for every writer (API, app,
// proposals, imports, QGIS and psql, by trigger) from the first entry of
// the layer's log on, and from the end of its last bulk import (audited
// per job, not per row), which HistorySince reports. Times are the writing
// transaction's start (audit_log.at).

// asOfStates is a derived table t(id, doc, <scope column>, geom) of the
// layer's rows at $1, for the layer's scope filter and a bbox.
func asOfStates(l *Layer) string {
	return fmt.Sprintf(`(
  WITH lb AS (
    SELECT DISTINCT ON (a.row_id) a.row_id, CASE WHEN a.action = 'delete' THEN NULL ELSE a.after END AS doc
      FROM audit_log a WHERE a.tbl = '%[1]s' AND a.at <= $1 ORDER BY a.row_id, a.id DESC
  ), fa AS (
    SELECT DISTINCT ON (a.row_id) a.row_id, CASE WHEN a.action = 'insert' THEN NULL ELSE a.before END AS doc
      FROM audit_log a WHERE a.tbl = '%[1]s' AND a.at > $1 ORDER BY a.row_id, a.id
  ), logged AS (
    SELECT coalesce(lb.row_id, fa.row_id) AS row_id, CASE WHEN lb.row_id IS NOT NULL THEN lb.doc ELSE fa.doc END AS doc
      FROM lb FULL JOIN fa ON fa.row_id = lb.row_id
  ), states AS (
    SELECT l.row_id::bigint AS id, l.doc FROM logged l WHERE l.doc IS NOT NULL
    UNION ALL
    SELECT c.id, jsonb_set(to_jsonb(c) - 'geom_3857', '{geom}', ST_AsGeoJSON(c.geom, 8)::jsonb)
      FROM %[1]s c WHERE NOT EXISTS (SELECT 1 FROM logged l WHERE l.row_id = c.id::text)
  )
  SELECT s.id, s.doc, s.doc ->> '%[2]s' AS %[2]s, ST_SetSRID(ST_GeomFromGeoJSON(s.doc -> 'geom'), 4326) AS geom FROM states s
) t`, l.Name, l.ScopeColumn)
}

// HistorySince is the time of the first logged change of the layer: how
// far back AsOf can go (nil when nothing was ever logged: the layer has
// stood as it is).
func (s *Store) HistorySince(ctx context.Context, l *Layer) (*time.Time, error) {
	var t *time.Time
	// a bulk import logged no line per feature (632_import_job_audit.sql):
	// before it ended, the layer's log does not say what stood
	if err := s.reads.QueryRow(ctx, `SELECT greatest((SELECT min(at) FROM audit_log WHERE tbl = $1),
		(SELECT max(coalesce(finished_at, clock_timestamp())) FROM import_jobs WHERE layer = $1 AND audit = 'job'))`, l.Name).Scan(&t); err != nil {
		return nil, fmt.Errorf("history since %s: %w", l.Name, postgres.Translate(err))
	}
	return t, nil
}

// AsOf returns a page of the layer's features in scope as they stood at
// at, with the properties they had then (the columns of the time: a column
// added since is absent). at before the first logged change is refused:
// what stood then is not known.
func (s *Store) AsOf(ctx context.Context, l *Layer, scope riskmap.Scope, at time.Time, q ListQuery) (Page, error) {
	since, err := s.HistorySince(ctx, l)
	if err != nil {
		return Page{}, err
	}
	if since != nil && at.Before(*since) {
		return Page{}, riskmap.Errorf(riskmap.EUNPROCESSABLE, "as_of %s is before the history of %s begins (%s): what stood then is not known",
			at.Format(time.RFC3339), l.Name, since.Format(time.RFC3339)).
			WithDetails(riskmap.Detail{Field: "as_of", Value: since.Format(time.RFC3339Nano), Message: "history begins here"})
	}
	args := []any{at, q.After, q.Limit + 1}
	where := []string{"t.id > $2"}
	if q.BBox != nil {
		b := q.BBox
		args = append(args, b[0], b[1], b[2], b[3])
		where = append(where, "t.geom && ST_MakeEnvelope($4, $5, $6, $7, 4326)")
	}
	cond, scopeArgs := l.scopeSQL(scope, q, len(args)+1)
	args = append(args, scopeArgs...)
	where = append(where, cond)
	sql := `SELECT t.id, coalesce((t.doc ->> 'version')::integer, 0), json_build_object('type', 'Feature', 'id', t.id,
		'geometry', t.doc -> 'geom', 'properties', t.doc - 'geom' - 'id')::text
		FROM ` + asOfStates(l) + " WHERE " + strings.Join(where, " AND ") + " ORDER BY t.id LIMIT $3"
	rows, err := s.reads.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, fmt.Errorf("as of %s: %w", l.Name, postgres.Translate(err))
	}
	defer rows.Close()
	var p Page
	for rows.Next() {
		ft, err := scanDoc(rows)
		if err != nil {
			return Page{}, fmt.Errorf("as of %s: %w", l.Name, err)
		}
		p.Features = append(p.Features, ft)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("as of %s: %w", l.Name, postgres.Translate(err))
	}
	if len(p.Features) > q.Limit {
		p.Features = p.Features[:q.Limit]
		p.Next = p.Features[q.Limit-1].ID
	}
	return p, nil
}
