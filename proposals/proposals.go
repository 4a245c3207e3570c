// Package proposals is the validation loop of the map (docs/editing.md,
// "Proposals"): a grid worker proposes a new risk point, a moved or changed
// one, or retiring one, with a reason and photos; the township office (or
// county, city) approves it — the change applied in the approval's own
// transaction, the audit log naming the approver as actor and the proposal,
// so both — or rejects it with a reason the worker sees. A proposal on a
// feature changed since is shown as such and approved only against the
// version the approver saw.
package proposals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/blobs"
	"riskmap/features"
	"riskmap/geo"
	"riskmap/postgres"
)

// States and kinds of proposals.
const (
	Pending   = "pending"
	Approved  = "approved"
	Rejected  = "rejected"
	Withdrawn = "withdrawn"

	Create = "create"
	Update = "update"
	Retire = "retire"
)

// Layers workers may propose changes to.
var proposable = map[string]bool{"risk_points": true}

// Store reads and writes proposals.
type Store struct {
	pool      *pgxpool.Pool
	features  *features.Store
	blobs     blobs.Store
	maxUpload int64
	notifier  Notifier
}

// NewStore returns proposals over pool, applying approved changes through
// fs and keeping photos in b (each at most maxUpload bytes).
func NewStore(pool *pgxpool.Pool, fs *features.Store, b blobs.Store, maxUpload int64) *Store {
	if maxUpload <= 0 {
		maxUpload = 10 << 20
	}
	return &Store{pool: pool, features: fs, blobs: b, maxUpload: maxUpload}
}

// Photo is one photo of a proposal.
type Photo struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Proposal is a proposed change with its state. Target is the feature as
// it stands now (for a change or retirement), so a reviewer compares before
// and after; Stale says it changed since the worker proposed.
type Proposal struct {
	ID             int64           `json:"id"`
	ClientID       *string         `json:"client_id"`
	Layer          string          `json:"layer"`
	Kind           string          `json:"kind"`
	TargetID       *int64          `json:"target_id"`
	BaseVersion    *int            `json:"base_version"`
	Feature        json.RawMessage `json:"feature"`
	Reason         string          `json:"reason"`
	State          string          `json:"state"`
	Version        int             `json:"version"`
	ProposedBy     int64           `json:"proposed_by"`
	ProposedByName string          `json:"proposed_by_name"`
	ProposedAt     time.Time       `json:"proposed_at"`
	DecidedBy      *int64          `json:"decided_by"`
	DecidedByName  *string         `json:"decided_by_name"`
	DecidedAt      *time.Time      `json:"decided_at"`
	DecisionNote   *string         `json:"decision_note"`
	AppliedID      *int64          `json:"applied_id"`
	AppliedVersion *int            `json:"applied_version"`
	Location       json.RawMessage `json:"location"`
	GridCode       string          `json:"grid_code"`
	TownshipCode   string          `json:"township_code"`
	Target         json.RawMessage `json:"target"`
	TargetVersion  *int            `json:"target_version"`
	Stale          bool            `json:"stale"`
	Photos         []Photo         `json:"photos"`
}

// Input is a proposal as sent: `{"id" (a client UUID, optional), "layer",
// "kind" (optional: create without target_id, update with it, retire with
// it and no feature), "target_id", "feature", "reason"}`.
type Input struct {
	ClientID string          `json:"id"`
	Layer    string          `json:"layer"`
	Kind     string          `json:"kind"`
	TargetID *int64          `json:"target_id"`
	Feature  json.RawMessage `json:"feature"`
	Reason   string          `json:"reason"`
}

// MaxPhotos is how many photos one proposal may carry.
const MaxPhotos = 6

// Photos hands each uploaded photo to put, in order (nil: none).
type Photos func(put func(name string, r io.Reader) error) error

// MaxBody is the largest request a proposal with its photos may take.
func (s *Store) MaxBody() int64 { return MaxPhotos*s.maxUpload + 256<<10 }

func bad(field, format string, args ...any) error {
	e := riskmap.Errorf(riskmap.EUNPROCESSABLE, field+": "+format, args...)
	return e.WithDetails(riskmap.Detail{Field: field, Message: e.Message})
}

// Create records a worker's proposal with its photos. The same client id
// sent again by the same worker answers the first proposal (created false).
func (s *Store) Create(ctx context.Context, u *riskmap.User, body []byte, crs geo.CRS, bounds *geo.Bounds, photos Photos) (*Proposal, bool, error) {
	if u.Role != riskmap.RoleWorker {
		return nil, false, riskmap.Errorf(riskmap.EFORBIDDEN, "proposals are for grid workers; role %s changes the map directly", u.Role)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	var in Input
	if err := dec.Decode(&in); err != nil {
		return nil, false, riskmap.Errorf(riskmap.EINVALID, "proposal: want {id, layer, kind, target_id, feature, reason}: %v", err)
	}
	if in.ClientID != "" {
		if p, err := s.byClientID(ctx, u, in.ClientID); err != nil || p != nil {
			return p, false, err
		}
	}
	l, ok := s.features.Layers[in.Layer]
	if !ok || !proposable[in.Layer] {
		return nil, false, bad("layer", "want risk_points, got %q", in.Layer)
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || len([]rune(in.Reason)) > 1000 {
		return nil, false, bad("reason", "say why, in at most 1000 characters")
	}
	noFeature := len(in.Feature) == 0 || string(in.Feature) == "null"
	switch {
	case in.Kind == "" && in.TargetID == nil:
		in.Kind = Create
	case in.Kind == "" && noFeature:
		in.Kind = Retire
	case in.Kind == "":
		in.Kind = Update
	}
	switch in.Kind {
	case Create:
		if in.TargetID != nil {
			return nil, false, bad("target_id", "a new feature has none")
		}
	case Update, Retire:
		if in.TargetID == nil {
			return nil, false, bad("target_id", "required for a %s", in.Kind)
		}
	default:
		return nil, false, bad("kind", "want create, update or retire, got %q", in.Kind)
	}
	var stored []byte
	var geom []byte
	if in.Kind != Retire {
		if noFeature {
			return nil, false, bad("feature", "required: the proposed GeoJSON Feature")
		}
		fi, err := features.ParseInput(l, in.Feature, in.Kind == Update, crs, bounds)
		if err != nil {
			return nil, false, prefixed("feature", err)
		}
		if len(fi.Derived) > 0 || fi.InventorySet {
			return nil, false, bad("feature", "only the layer's own properties may be proposed")
		}
		if in.Kind == Update && len(fi.Values) == 0 && fi.Geometry == nil {
			return nil, false, bad("feature", "proposes no change")
		}
		props := map[string]any{}
		for k, v := range fi.Values {
			props[k] = v
		}
		doc := map[string]any{"type": "Feature", "properties": props}
		if fi.Geometry != nil {
			doc["geometry"] = json.RawMessage(fi.Geometry)
			geom = fi.Geometry
		}
		stored, _ = json.Marshal(doc)
	} else if !noFeature {
		return nil, false, bad("feature", "a retirement proposes no feature")
	}
	// the photos first: a row never points at a missing blob
	type stored_ struct {
		info blobs.Info
		ct   string
		name string
	}
	var kept []stored_
	if photos != nil {
		err := photos(func(name string, r io.Reader) error {
			if len(kept) == MaxPhotos {
				return bad("file", "at most %d photos", MaxPhotos)
			}
			info, ct, err := blobs.PutUpload(ctx, s.blobs, fmt.Sprintf("file[%d]", len(kept)), r, s.maxUpload, blobs.PhotoTypes())
			if err == nil {
				kept = append(kept, stored_{info, ct, name})
			}
			return err
		})
		if err != nil {
			return nil, false, err
		}
	}
	var id int64
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		var base *int
		name, _ := fiName(stored)
		if in.TargetID != nil {
			cur, err := s.features.GetIn(ctx, tx, l, u.Scope(), *in.TargetID, false)
			if err != nil {
				return prefixed("target_id", err)
			}
			base = &cur.Version
			// the name it is known by now
			if n, ok := fiName(cur.JSON); ok {
				name = n
			}
			if geom == nil {
				if err := tx.QueryRow(ctx, "SELECT ST_AsGeoJSON(geom, 8) FROM "+l.Name+" WHERE id = $1", *in.TargetID).Scan(&geom); err != nil {
					return err
				}
			}
		}
		var cid *string
		if in.ClientID != "" {
			cid = &in.ClientID
		}
		var grid string
		err := tx.QueryRow(ctx, `INSERT INTO proposals (client_id, layer, kind, target_id, base_version, feature, reason, proposed_by, geom)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ST_SetSRID(ST_GeomFromGeoJSON($9), 4326)) RETURNING id, grid_code`,
			cid, in.Layer, in.Kind, in.TargetID, base, nullJSON(stored), in.Reason, u.ID, string(geom)).Scan(&id, &grid)
		if err != nil {
			return postgres.Translate(err)
		}
		if !u.Scope().Contains(grid) {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "the proposal lies in grid %s, not one of yours", grid).
				WithDetails(riskmap.Detail{Field: "feature.geometry", Message: "outside your grids"})
		}
		for _, k := range kept {
			if _, err := tx.Exec(ctx, `INSERT INTO proposal_photos (proposal_id, sha256, content_type, size, blob_key, filename)
				VALUES ($1, $2, $3, $4, $5, nullif($6, ''))`, id, k.info.SHA256, k.ct, k.info.Size, k.info.Key, trim(k.name, 200)); err != nil {
				return postgres.Translate(err)
			}
		}
		if s.notifier == nil {
			return nil
		}
		return s.notifier.ProposalPending(ctx, tx, Review{ID: id, Layer: in.Layer, Kind: in.Kind, TargetID: in.TargetID,
			Name: name, Reason: in.Reason, GridCode: grid, ProposedBy: u.ID, ProposedByName: u.DisplayName})
	})
	if err != nil {
		if in.ClientID != "" && riskmap.ErrorCode(err) == riskmap.ECONFLICT {
			// the same proposal arriving twice at once: the first one stands
			if p, e := s.byClientID(ctx, u, in.ClientID); e == nil && p != nil {
				return p, false, nil
			}
		}
		return nil, false, err
	}
	p, err := s.Get(ctx, u, id)
	return p, true, err
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// prefixed names a nested field in an error from features (feature.properties.x).
func prefixed(prefix string, err error) error {
	var e *riskmap.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Message = prefix + ": " + e.Message
	c.Details = nil
	for _, d := range e.Details {
		if d.Field != "" {
			d.Field = prefix + "." + d.Field
		} else {
			d.Field = prefix
		}
		c.Details = append(c.Details, d)
	}
	if len(c.Details) == 0 {
		c.Details = []riskmap.Detail{{Field: prefix, Message: e.Message}}
	}
	return &c
}

func (s *Store) byClientID(ctx context.Context, u *riskmap.User, cid string) (*Proposal, error) {
	var id, by int64
	err := s.pool.QueryRow(ctx, "SELECT id, proposed_by FROM proposals WHERE client_id = $1", cid).Scan(&id, &by)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, postgres.Translate(err)
	}
	if by != u.ID {
		return nil, riskmap.Errorf(riskmap.ECONFLICT, "proposal id %s was used by another user", cid).WithDetails(riskmap.Detail{Field: "id", Message: "taken"})
	}
	return s.Get(ctx, u, id)
}

// visible is the predicate over alias p: a worker sees the proposals they
// made; everyone else those lying in their area.
func (s *Store) visible(u *riskmap.User, next int) (string, []any) {
	if u.Role == riskmap.RoleWorker {
		return fmt.Sprintf("p.proposed_by = $%d", next), []any{u.ID}
	}
	return u.Scope().SQL("p.grid_code", next)
}

const selectProposal = `SELECT p.id, p.client_id::text, p.layer, p.kind, p.target_id, p.base_version, p.feature, p.reason, p.state, p.version,
	p.proposed_by, coalesce(nullif(pu.display_name, ''), pu.username), p.proposed_at, p.decided_by, coalesce(nullif(du.display_name, ''), du.username),
	p.decided_at, p.decision_note, p.applied_id, p.applied_version, ST_AsGeoJSON(p.geom, 8)::jsonb, p.grid_code, p.township_code
	FROM proposals p JOIN users pu ON pu.id = p.proposed_by LEFT JOIN users du ON du.id = p.decided_by`

func scanProposal(row pgx.Row) (*Proposal, error) {
	var p Proposal
	var feature, loc []byte
	err := row.Scan(&p.ID, &p.ClientID, &p.Layer, &p.Kind, &p.TargetID, &p.BaseVersion, &feature, &p.Reason, &p.State, &p.Version,
		&p.ProposedBy, &p.ProposedByName, &p.ProposedAt, &p.DecidedBy, &p.DecidedByName, &p.DecidedAt, &p.DecisionNote,
		&p.AppliedID, &p.AppliedVersion, &loc, &p.GridCode, &p.TownshipCode)
	if err != nil {
		return nil, err
	}
	p.Feature, p.Location = orNull(feature), orNull(loc)
	p.Photos = []Photo{}
	return &p, nil
}

func orNull(b []byte) json.RawMessage {
	if b == nil {
		return json.RawMessage("null")
	}
	return b
}

// Query selects proposals: a state (or all), an area or grid code.
type Query struct {
	State string
	Area  string
	Limit int
}

// List returns the proposals u may see, newest first.
func (s *Store) List(ctx context.Context, u *riskmap.User, q Query) ([]*Proposal, error) {
	cond, args := s.visible(u, 1)
	where := []string{cond}
	if q.State != "" {
		args = append(args, q.State)
		where = append(where, fmt.Sprintf("p.state = $%d", len(args)))
	}
	if q.Area != "" {
		args = append(args, riskmap.AreaPrefix(q.Area)+"%")
		where = append(where, fmt.Sprintf("p.grid_code LIKE $%d", len(args)))
	}
	if q.Limit <= 0 {
		q.Limit = 500
	}
	args = append(args, q.Limit)
	rows, err := s.pool.Query(ctx, selectProposal+" WHERE "+strings.Join(where, " AND ")+fmt.Sprintf(" ORDER BY p.id DESC LIMIT $%d", len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("proposals: %w", postgres.Translate(err))
	}
	var out []*Proposal
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("proposals: %w", err)
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("proposals: %w", err)
	}
	for _, p := range out {
		if err := s.complete(ctx, p); err != nil {
			return nil, err
		}
	}
	if out == nil {
		out = []*Proposal{}
	}
	return out, nil
}

// Get returns one proposal u may see.
func (s *Store) Get(ctx context.Context, u *riskmap.User, id int64) (*Proposal, error) {
	cond, args := s.visible(u, 2)
	p, err := scanProposal(s.pool.QueryRow(ctx, selectProposal+" WHERE p.id = $1 AND "+cond, append([]any{id}, args...)...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "proposal %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("proposal %d: %w", id, err)
	}
	return p, s.complete(ctx, p)
}

// complete adds the target as it stands, whether it moved on, and photos.
func (s *Store) complete(ctx context.Context, p *Proposal) error {
	p.Target = json.RawMessage("null")
	if p.TargetID != nil {
		f, err := s.features.Get(ctx, s.features.Layers[p.Layer], riskmap.Scope{All: true}, *p.TargetID)
		switch {
		case err == nil:
			p.Target, p.TargetVersion = f.JSON, &f.Version
			p.Stale = p.State == Pending && p.BaseVersion != nil && f.Version != *p.BaseVersion
		case riskmap.ErrorCode(err) == riskmap.ENOTFOUND:
			p.Stale = p.State == Pending // deleted since
		default:
			return err
		}
	}
	rows, err := s.pool.Query(ctx, "SELECT id::text, content_type, size, sha256 FROM proposal_photos WHERE proposal_id = $1 ORDER BY uploaded_at, id", p.ID)
	if err != nil {
		return fmt.Errorf("proposal photos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ph Photo
		if err := rows.Scan(&ph.ID, &ph.ContentType, &ph.Size, &ph.SHA256); err != nil {
			return err
		}
		ph.URL = fmt.Sprintf("/api/v1/proposals/%d/photos/%s", p.ID, ph.ID)
		p.Photos = append(p.Photos, ph)
	}
	return rows.Err()
}

// Action is a decision on a proposal: `{"action":"approve"|"reject"|
// "withdraw","version":N,"note","reason","target_version"}`. target_version
// is the version of the feature the approver compared with, required when
// the feature changed since the proposal.
type Action struct {
	Action        string `json:"action"`
	Version       *int   `json:"version"`
	Note          string `json:"note"`
	Reason        string `json:"reason"`
	TargetVersion *int   `json:"target_version"`
}

// reviewer roles decide proposals in their area.
func reviewer(role string) bool {
	switch role {
	case riskmap.RoleTownship, riskmap.RoleCounty, riskmap.RoleCity, riskmap.RoleAdmin:
		return true
	}
	return false
}

// Act decides a proposal. An approval applies the change in the same
// transaction, attributed to the approver and the proposal (and so the
// worker) in the audit log.
func (s *Store) Act(ctx context.Context, u *riskmap.User, id int64, a Action) (*Proposal, error) {
	switch a.Action {
	case "approve", "reject":
		if !reviewer(u.Role) {
			return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not decide proposals", u.Role)
		}
	case "withdraw":
	default:
		return nil, bad("action", "want approve, reject or withdraw, got %q", a.Action)
	}
	if a.Version == nil {
		return nil, bad("version", "required: the proposal's version you read")
	}
	if a.Action == "reject" && strings.TrimSpace(a.Reason) == "" {
		return nil, bad("reason", "say why it is rejected: the worker reads it")
	}
	ctx = riskmap.WithProvenance(ctx, riskmap.Provenance{Via: riskmap.ViaProposal, ProposalID: id})
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		cond, args := s.visible(u, 2)
		var state, kind, layer string
		var version, by int64
		var target *int64
		var base *int
		var feature []byte
		err := tx.QueryRow(ctx, `SELECT p.state, p.kind, p.layer, p.version, p.proposed_by, p.target_id, p.base_version, p.feature
			FROM proposals p WHERE p.id = $1 AND `+cond+` FOR UPDATE OF p`, append([]any{id}, args...)...).
			Scan(&state, &kind, &layer, &version, &by, &target, &base, &feature)
		if errors.Is(err, pgx.ErrNoRows) {
			if u.Scope().All || u.Role == riskmap.RoleWorker {
				return riskmap.Errorf(riskmap.ENOTFOUND, "proposal %d not found", id)
			}
			return riskmap.Errorf(riskmap.EFORBIDDEN, "proposal %d is not in your area", id)
		}
		if err != nil {
			return postgres.Translate(err)
		}
		if a.Action == "withdraw" && by != u.ID {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "only its author withdraws a proposal")
		}
		if a.Action != "withdraw" && by == u.ID {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "nobody decides their own proposal")
		}
		if int64(*a.Version) != version || state != Pending {
			return riskmap.Errorf(riskmap.ECONFLICT, "proposal %d is %s at version %d, not pending at %d: reload it", id, state, version, *a.Version).
				WithDetails(riskmap.Detail{Field: "version", Value: map[string]any{"state": state, "version": version}, Message: "stale"})
		}
		var appliedID *int64
		var appliedVersion *int
		newState, note := Rejected, strings.TrimSpace(a.Reason)
		switch a.Action {
		case "withdraw":
			newState, note = Withdrawn, strings.TrimSpace(a.Reason)
		case "approve":
			newState, note = Approved, strings.TrimSpace(a.Note)
			f, err := s.apply(ctx, tx, u, layer, kind, target, base, feature, a.TargetVersion)
			if err != nil {
				return err
			}
			appliedID, appliedVersion = &f.ID, &f.Version
		}
		_, err = tx.Exec(ctx, `UPDATE proposals SET state = $2, version = version + 1, decided_by = $3, decided_at = now(),
			decision_note = nullif($4, ''), applied_id = $5, applied_version = $6 WHERE id = $1`,
			id, newState, u.ID, note, appliedID, appliedVersion)
		return postgres.Translate(err)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, u, id)
}

// apply makes the proposed change as the approver, in tx.
func (s *Store) apply(ctx context.Context, tx pgx.Tx, u *riskmap.User, layer, kind string, target *int64, base *int, feature []byte, seen *int) (features.Feature, error) {
	l := s.features.Layers[layer]
	if kind == Create {
		in, err := features.ParseInput(l, feature, false, geo.CRSWGS84, nil)
		if err != nil {
			return features.Feature{}, prefixed("feature", err)
		}
		return s.features.CreateIn(ctx, tx, l, u.Scope(), in)
	}
	cur, err := s.features.GetIn(ctx, tx, l, u.Scope(), *target, true)
	if riskmap.ErrorCode(err) == riskmap.ENOTFOUND {
		return features.Feature{}, riskmap.Errorf(riskmap.ECONFLICT, "%s %d no longer exists: reject the proposal", layer, *target)
	}
	if err != nil {
		return features.Feature{}, err
	}
	if base != nil && cur.Version != *base && (seen == nil || *seen != cur.Version) {
		return features.Feature{}, riskmap.Errorf(riskmap.ECONFLICT,
			"%s %d changed since it was proposed (version %d then, %d now): compare again and approve with target_version %d",
			layer, *target, *base, cur.Version, cur.Version).
			WithDetails(riskmap.Detail{Field: "target_version", Value: map[string]any{"base_version": *base, "current_version": cur.Version}, Message: "changed since proposed"})
	}
	if kind == Retire {
		feature = []byte(`{"type":"Feature","properties":{"status":"retired"}}`)
	}
	in, err := features.ParseInput(l, feature, true, geo.CRSWGS84, nil)
	if err != nil {
		return features.Feature{}, prefixed("feature", err)
	}
	v := cur.Version
	out, err := s.features.UpdateIn(ctx, tx, l, u.Scope(), []features.Change{{ID: *target, Input: in, IfMatch: features.IfMatch{v}}})
	if err != nil {
		return features.Feature{}, err
	}
	return out[0], nil
}

// OpenPhoto returns a photo of a proposal u may see.
func (s *Store) OpenPhoto(ctx context.Context, u *riskmap.User, id int64, photo string) (Photo, blobs.File, error) {
	if _, err := s.Get(ctx, u, id); err != nil {
		return Photo{}, nil, err
	}
	var ph Photo
	var key string
	err := s.pool.QueryRow(ctx, "SELECT id::text, content_type, size, sha256, blob_key FROM proposal_photos WHERE proposal_id = $1 AND id::text = $2",
		id, strings.ToLower(photo)).Scan(&ph.ID, &ph.ContentType, &ph.Size, &ph.SHA256, &key)
	if errors.Is(err, pgx.ErrNoRows) {
		return Photo{}, nil, riskmap.Errorf(riskmap.ENOTFOUND, "photo %s not found", photo)
	}
	if err != nil {
		return Photo{}, nil, fmt.Errorf("proposal photo: %w", err)
	}
	f, err := s.blobs.Open(ctx, key)
	if err != nil {
		return Photo{}, nil, &riskmap.Error{Code: riskmap.EUNAVAILABLE, Message: "the photo store cannot be read at the moment", Err: err}
	}
	return ph, f, nil
}
