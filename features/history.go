package features

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// A feature's history is read from the audit log, which database triggers
// write for every change whoever makes it (migrations 006, 300, 570): the
// API and the web app name their user and how they came (via), an import
// its job, an approved proposal the proposal and so both people, and a
// change made straight in the database (QGIS, psql) names the database
// role. The log holds each row before and after as JSON, geometry as
// GeoJSON, so versions, changed fields and old shapes come from it alone.

// Actor is who made a change: a riskmap user (ID set) or, for a direct
// database write, the database role ("db:riskmap"). A user is named as
// people know them (display name), the login only when they have none.
type Actor struct {
	ID   *int64 `json:"id"`
	Name string `json:"name"`
}

// FieldChange is one property that a version changed.
type FieldChange struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// ProposalRef is the proposal whose approval made a version: the worker
// who proposed it, and the reason they gave.
type ProposalRef struct {
	ID         int64  `json:"id"`
	ProposedBy Actor  `json:"proposed_by"`
	Reason     string `json:"reason"`
}

// Version is one change of a feature: who, when, how, what.
type Version struct {
	AuditID int64     `json:"audit_id"`
	Version *int      `json:"version"` // the feature's version after the change (before it, for a delete)
	At      time.Time `json:"at"`
	Action  string    `json:"action"` // insert, update, delete
	Actor   Actor     `json:"actor"`
	// Via is how the change came: api, app, proposal, import, sql, demo;
	// null for changes logged before riskmap recorded it.
	Via         *string       `json:"via"`
	ImportJobID *int64        `json:"import_job_id"`
	Proposal    *ProposalRef  `json:"proposal"`
	Changes     []FieldChange `json:"changes"`
	// Geometry before and after the change, when the change moved or
	// reshaped the feature (the insert's after, the delete's before).
	GeometryChanged bool            `json:"geometry_changed"`
	GeometryBefore  json.RawMessage `json:"geometry_before"`
	GeometryAfter   json.RawMessage `json:"geometry_after"`
}

// unlisted are columns a version does not list as changed: bookkeeping
// every change moves, and the geometry (given whole).
var unlisted = map[string]bool{"version": true, "updated_at": true, "created_at": true, "geom": true, "id": true, "import_job_id": true}

// History returns every logged version of a feature, oldest first. The
// feature must be in scope as it stands, or, once deleted, as it last stood.
func (s *Store) History(ctx context.Context, l *Layer, scope riskmap.Scope, id int64) ([]Version, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, a.at, a.action, a.actor_id, coalesce(nullif(au.display_name, ''), a.actor), a.via, a.import_job_id, a.before, a.after,
		       p.id, p.proposed_by, coalesce(nullif(pu.display_name, ''), pu.username), p.reason
		  FROM audit_log a
		  LEFT JOIN users au ON au.id = a.actor_id
		  LEFT JOIN proposals p ON p.id = a.proposal_id
		  LEFT JOIN users pu ON pu.id = p.proposed_by
		 WHERE a.tbl = $1 AND a.row_id = $2
		 ORDER BY a.id`, l.Name, fmt.Sprint(id))
	if err != nil {
		return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
	}
	defer rows.Close()
	var entries []entry
	var last json.RawMessage
	jobs := map[int64]bool{} // import jobs the logged rows name
	for rows.Next() {
		var v Version
		var before, after []byte
		var pid, pby *int64
		var pname, preason *string
		if err := rows.Scan(&v.AuditID, &v.At, &v.Action, &v.Actor.ID, &v.Actor.Name, &v.Via, &v.ImportJobID, &before, &after,
			&pid, &pby, &pname, &preason); err != nil {
			return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
		}
		if v.Via == nil && len(v.Actor.Name) > 3 && v.Actor.Name[:3] == "db:" {
			sql := riskmap.ViaSQL // logged before via was: no riskmap actor means SQL
			v.Via = &sql
		}
		if pid != nil {
			v.Proposal = &ProposalRef{ID: *pid, ProposedBy: Actor{ID: pby}, Reason: deref(preason)}
			v.Proposal.ProposedBy.Name = deref(pname)
		}
		if err := v.diff(before, after); err != nil {
			return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
		}
		namedJobs(jobs, before, after)
		if after != nil {
			last = after
		} else {
			last = before
		}
		entries = append(entries, entry{v, before, after})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
	}
	if entries, err = s.jobVersions(ctx, l, id, entries, jobs); err != nil {
		return nil, err
	}
	out := make([]Version, len(entries))
	for i, e := range entries {
		out[i] = e.v
	}
	if len(out) == 0 || out[len(out)-1].AuditID == 0 {
		// never logged (or never there): as visible as the feature itself
		if _, err := s.Get(ctx, l, scope, id); err != nil {
			return nil, err
		}
		return out, nil
	}
	if ok, err := s.docInScope(ctx, l, scope, last); err != nil {
		return nil, err
	} else if !ok {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "%s %d not found", l.Name, id)
	}
	return out, nil
}

// namedJobs adds the import jobs that logged rows name in import_job_id.
func namedJobs(jobs map[int64]bool, docs ...[]byte) {
	for _, d := range docs {
		var row struct {
			ImportJobID *int64 `json:"import_job_id"`
		}
		if d != nil && json.Unmarshal(d, &row) == nil && row.ImportJobID != nil {
			jobs[*row.ImportJobID] = true
		}
	}
}

// entry is a version with the logged row before and after it.
type entry struct {
	v             Version
	before, after []byte
}

// jobVersions adds a version for each bulk import that wrote the feature:
// a bulk load is audited per job (632_import_job_audit.sql), so it logged
// no line for the feature, which names the job in import_job_id (and
// logged rows written after it name it in their before). What the job
// changed is what lies between the row as the line before it left it and
// as the line after it (or the row now) found it.
func (s *Store) jobVersions(ctx context.Context, l *Layer, id int64, es []entry, jobs map[int64]bool) ([]entry, error) {
	var cur *int64
	var now []byte
	// l.Name comes from the registry, never from the request
	err := s.pool.QueryRow(ctx, "SELECT import_job_id, jsonb_set(to_jsonb(t) - 'geom_3857', '{geom}', ST_AsGeoJSON(t.geom, 15)::jsonb)::text FROM "+
		l.Name+" t WHERE t.id = $1", id).Scan(&cur, &now)
	if err != nil && err != pgx.ErrNoRows {
		return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
	}
	if cur != nil {
		jobs[*cur] = true
	}
	for _, e := range es {
		if e.v.ImportJobID != nil {
			delete(jobs, *e.v.ImportJobID) // logged row by row
		}
	}
	if len(jobs) == 0 {
		return es, nil
	}
	ids := make([]int64, 0, len(jobs))
	for j := range jobs {
		ids = append(ids, j)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, actor_id, actor, coalesce(finished_at, heartbeat_at)
		FROM import_jobs WHERE id = ANY($1) AND audit = 'job'`, ids)
	if err != nil {
		return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
	}
	via := riskmap.ViaImport
	var added []int
	for rows.Next() {
		var v Version
		var job int64
		if err := rows.Scan(&job, &v.Actor.ID, &v.Actor.Name, &v.At); err != nil {
			rows.Close()
			return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
		}
		v.ImportJobID, v.Via = &job, &via
		es = append(es, entry{v: v})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].v.At.Before(es[j].v.At) })
	for i := range es {
		if es[i].v.AuditID == 0 {
			added = append(added, i)
		}
	}
	for _, i := range added {
		e := &es[i]
		if i > 0 {
			e.before = es[i-1].after
		}
		if i+1 < len(es) {
			e.after = es[i+1].before
		} else {
			e.after = now
		}
		e.v.Action = "update"
		if e.before == nil {
			e.v.Action = "insert"
		}
		if err := e.v.diff(e.before, e.after); err != nil {
			return nil, fmt.Errorf("history %s %d: %w", l.Name, id, err)
		}
	}
	return es, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// diff fills the version number, the changed fields and the geometries
// from the logged row before and after.
func (v *Version) diff(before, after []byte) error {
	var b, a map[string]json.RawMessage
	if before != nil {
		if err := json.Unmarshal(before, &b); err != nil {
			return err
		}
	}
	if after != nil {
		if err := json.Unmarshal(after, &a); err != nil {
			return err
		}
	}
	doc := a
	if doc == nil {
		doc = b
	}
	if raw, ok := doc["version"]; ok {
		var n int
		if json.Unmarshal(raw, &n) == nil {
			v.Version = &n
		}
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		if !unlisted[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	v.Changes = []FieldChange{}
	for _, k := range names {
		bv, av := orNull(b[k]), orNull(a[k])
		if v.Action == "update" && jsonEqual(bv, av) {
			continue
		}
		if v.Action == "insert" && string(av) == "null" {
			continue // an insert lists what it set
		}
		if v.Action == "delete" {
			continue // a delete removes the whole row: geometry_before shows where
		}
		v.Changes = append(v.Changes, FieldChange{Field: k, Before: bv, After: av})
	}
	bg, ag := b["geom"], a["geom"]
	v.GeometryChanged = !jsonEqual(orNull(bg), orNull(ag))
	if v.GeometryChanged {
		v.GeometryBefore, v.GeometryAfter = orNull(bg), orNull(ag)
	}
	return nil
}

func orNull(r json.RawMessage) json.RawMessage {
	if r == nil {
		return json.RawMessage("null")
	}
	return r
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// docInScope applies the layer's scope rule to a logged row.
func (s *Store) docInScope(ctx context.Context, l *Layer, scope riskmap.Scope, doc json.RawMessage) (bool, error) {
	if scope.All {
		return true, nil
	}
	cond, scopeArgs := l.ScopeSQL(scope, 2)
	var ok bool
	err := s.pool.QueryRow(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM (SELECT $1::jsonb ->> '%[1]s' AS %[1]s) t WHERE %[2]s)`,
		l.ScopeColumn, cond), append([]any{string(doc)}, scopeArgs...)...).Scan(&ok)
	if err != nil && err != pgx.ErrNoRows {
		return false, fmt.Errorf("history scope: %w", err)
	}
	return ok, nil
}
