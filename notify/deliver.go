package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/postgres"
)

// notice is one thing to tell: of a kind, about a case (or, raised by
// another domain, about something at a place), told to those the kind's
// rule names (and to Users), in the transaction that made it.
type notice struct {
	Kind    string
	Level   int    // of an escalation
	CaseID  string // "" when not about a case
	Place   string // a grid or area code; a case's grid is read from the case
	ActorID *int64 // never told of their own doing
	Users   []int64
	RefType string
	RefID   string
	Reason  string
	// Title, Body and Link are given by Raise; a case's are written from
	// the case (text.go)
	Title, Body, Link string
	// Dedupe: one notification per user and key, one message per channel
	Dedupe string
	c      *caseInfo
}

// caseInfo is what messages say of a case.
type caseInfo struct {
	ID, State, Grade, Category, Description string
	GridCode, GridName, TownshipName        string
	Deadline                                *time.Time
	AssigneeName                            *string
	Version                                 int
}

// ruleSQL picks each notice's audiences: the rule of its kind for the most
// specific area above its place (” is everywhere). $1…$4 are the
// notices: index, kind, level, place; $5 their cases.
const ruleSQL = `
n AS (
	SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::text[]) AS n(i, kind, level, place, case_id)),
r AS (
	SELECT n.i, n.kind, n.level, n.place, n.case_id::uuid AS case_id, c.grade, c.assignee_id, c.reporter_id, c.submitted_by, r.audiences
	  FROM n
	  LEFT JOIN cases c ON c.id = n.case_id::uuid
	 CROSS JOIN LATERAL (
		SELECT r.audiences FROM notification_rules r
		 WHERE r.kind = n.kind AND (r.area_code = '' OR r.area_code = ANY(riskmap_covering_areas(n.place)))
		 ORDER BY length(riskmap_area_prefix(r.area_code)) DESC LIMIT 1) r),
a AS (SELECT r.*, x.audience FROM r CROSS JOIN LATERAL unnest(r.audiences) x(audience)),
-- the office levels an audience stands for (users of that role, robots of
-- offices of that level)
o AS (
	SELECT a.i, a.kind, a.place, x.role
	  FROM a CROSS JOIN LATERAL unnest(CASE a.audience
		WHEN 'township' THEN ARRAY['township'] WHEN 'county' THEN ARRAY['county'] WHEN 'city' THEN ARRAY['city']
		WHEN 'approver' THEN CASE WHEN a.grade = 'major' THEN ARRAY['county'] ELSE ARRAY['township'] END
		WHEN 'level_above' THEN CASE WHEN a.level >= 2 THEN ARRAY['city'] ELSE ARRAY['county'] END
		ELSE ARRAY[]::text[] END) x(role))`

// recipientsSQL returns (notice, user) for everyone the rules name who
// may see the place (the assignee may always see their case), is enabled,
// and did not act ($6: the actors).
const recipientsSQL = `WITH ` + ruleSQL + `,
people AS (
	SELECT a.i, CASE a.audience WHEN 'assignee' THEN a.assignee_id WHEN 'reporter' THEN a.reporter_id
		WHEN 'submitter' THEN a.submitted_by
		WHEN 'assigner' THEN (SELECT e.actor_id FROM case_events e WHERE e.case_id = a.case_id AND e.action = 'assign'
			ORDER BY e.at DESC, e.id DESC LIMIT 1) END AS user_id
	  FROM a WHERE a.audience IN ('assignee', 'reporter', 'submitter', 'assigner')
	UNION
	SELECT o.i, u.id FROM o
	  JOIN user_areas ua ON ua.area_code = ANY(riskmap_covering_areas(o.place))
	  JOIN users u ON u.id = ua.user_id AND u.role = o.role
	UNION
	SELECT a.i, ug.user_id FROM a
	  JOIN user_grids ug ON ug.grid_code = a.place
	  JOIN users u ON u.id = ug.user_id AND u.role = 'worker'
	 WHERE a.audience = 'grid_worker'),
actors AS (SELECT * FROM unnest($1::int[], $6::bigint[]) AS ac(i, actor))
SELECT DISTINCT p.i, p.user_id
  FROM people p JOIN r ON r.i = p.i JOIN actors ac ON ac.i = p.i JOIN users u ON u.id = p.user_id
 WHERE NOT u.disabled AND p.user_id IS DISTINCT FROM ac.actor
   AND (u.role = 'admin' OR u.id = r.assignee_id
	OR (u.role = 'worker' AND EXISTS (SELECT 1 FROM user_grids g WHERE g.user_id = u.id AND g.grid_code = r.place))
	OR (u.role <> 'worker' AND EXISTS (SELECT 1 FROM user_areas x WHERE x.user_id = u.id AND x.area_code = ANY(riskmap_covering_areas(r.place)))))`

// channelsSQL returns (notice, channel) for the enabled robots of the
// offices the rules name, above the place, taking the kind.
const channelsSQL = `WITH ` + ruleSQL + `
SELECT DISTINCT o.i, ch.id, ch.kind
  FROM o JOIN notification_channels ch
    ON ch.area_code = ANY(riskmap_covering_areas(o.place)) AND ch.level = o.role AND ch.enabled
 WHERE cardinality(ch.kinds) = 0 OR o.kind = ANY(ch.kinds)
 ORDER BY 2, 1`

// deliver tells ns inside tx: the inbox notifications of everyone
// concerned, and the messages to the robots of the offices concerned (one
// per robot and kind: several notices of a kind go as one summary). Both
// are idempotent by the notices' Dedupe keys.
func (s *Service) deliver(ctx context.Context, tx pgx.Tx, ns []notice) error {
	if len(ns) == 0 {
		return nil
	}
	now := s.cfg.Now()
	if err := s.loadCases(ctx, tx, ns); err != nil {
		return err
	}
	idx := make([]int32, len(ns))
	kinds := make([]string, len(ns))
	levels := make([]int32, len(ns))
	places := make([]string, len(ns))
	caseIDs := make([]*string, len(ns))
	actors := make([]*int64, len(ns))
	for i := range ns {
		n := &ns[i]
		s.write(n, now)
		idx[i], kinds[i], levels[i], places[i], actors[i] = int32(i), n.Kind, int32(n.Level), n.Place, n.ActorID
		if n.CaseID != "" {
			caseIDs[i] = &n.CaseID
		}
	}

	// the inbox
	told := map[int][]int64{}
	rows, err := tx.Query(ctx, recipientsSQL, idx, kinds, levels, places, caseIDs, actors)
	if err != nil {
		return fmt.Errorf("notify: recipients: %w", err)
	}
	for rows.Next() {
		var i int32
		var u int64
		if err := rows.Scan(&i, &u); err != nil {
			rows.Close()
			return err
		}
		told[int(i)] = append(told[int(i)], u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: recipients: %w", err)
	}
	if err := s.explicitUsers(ctx, tx, ns, told); err != nil {
		return err
	}
	var (
		users                                               []int64
		nKinds, titles, bodies, links, dedupes, rTypes, rID []string
		nCases, nPlaces                                     []*string
	)
	for i := range ns {
		n := &ns[i]
		for _, u := range told[i] {
			users = append(users, u)
			nKinds, titles, bodies, links, dedupes = append(nKinds, n.Kind), append(titles, n.Title), append(bodies, n.Body),
				append(links, n.Link), append(dedupes, n.Dedupe)
			rTypes, rID = append(rTypes, n.RefType), append(rID, n.RefID)
			nCases, nPlaces = append(nCases, caseIDs[i]), append(nPlaces, &n.Place)
		}
	}
	if len(users) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, kind, case_id, ref_type, ref_id, place_code, title, body, link, dedupe, created_at)
			SELECT u, k, c::uuid, nullif(rt, ''), nullif(ri, ''), p, t, b, l, d, $11
			  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
			    AS x(u, k, c, rt, ri, p, t, b, l, d)
			ON CONFLICT (user_id, dedupe) DO NOTHING`,
			users, nKinds, nCases, rTypes, rID, nPlaces, titles, bodies, links, dedupes, now)
		if err != nil {
			return fmt.Errorf("notify: inbox: %w", postgres.Translate(err))
		}
	}

	// the robots
	type group struct {
		channel int64
		kind    string // the channel's kind: wecom, dingtalk, generic
		notices []*notice
	}
	var groups []*group
	byKey := map[string]*group{}
	rows, err = tx.Query(ctx, channelsSQL, idx, kinds, levels, places, caseIDs)
	if err != nil {
		return fmt.Errorf("notify: channels: %w", err)
	}
	for rows.Next() {
		var i int32
		var ch int64
		var chKind string
		if err := rows.Scan(&i, &ch, &chKind); err != nil {
			rows.Close()
			return err
		}
		n := &ns[i]
		key := fmt.Sprintf("%d/%s/%d", ch, n.Kind, n.Level)
		g := byKey[key]
		if g == nil {
			g = &group{channel: ch, kind: chKind}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.notices = append(g.notices, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: channels: %w", err)
	}
	for _, g := range groups {
		m := s.message(g.notices, now)
		body, err := render(g.kind, m)
		if err != nil {
			return err
		}
		var dedupe *string
		if len(g.notices) == 1 {
			dedupe = &g.notices[0].Dedupe
		}
		ids := []string{}
		for _, n := range g.notices {
			if n.CaseID != "" {
				ids = append(ids, n.CaseID)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notification_outbox (channel_id, kind, title, body, case_ids, dedupe, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $5::text[]::uuid[], $6, $7, $7)
			ON CONFLICT (channel_id, dedupe) WHERE dedupe IS NOT NULL DO NOTHING`,
			g.channel, m.Kind, m.Title, body, ids, dedupe, now); err != nil {
			return fmt.Errorf("notify: outbox: %w", postgres.Translate(err))
		}
	}
	return nil
}

// loadCases reads the cases the notices are about and places them there.
func (s *Service) loadCases(ctx context.Context, tx pgx.Tx, ns []notice) error {
	var ids []string
	for _, n := range ns {
		if n.CaseID != "" {
			ids = append(ids, n.CaseID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT c.id::text, c.state, c.grade, c.category, c.description, c.grid_code,
			coalesce(g.name, ''), coalesce(t.name, ''), c.deadline, c.assignee_name, c.version
		  FROM cases c LEFT JOIN grids g ON g.code = c.grid_code LEFT JOIN areas t ON t.code = c.township_code
		 WHERE c.id = ANY($1::text[]::uuid[])`, ids)
	if err != nil {
		return fmt.Errorf("notify: read cases: %w", err)
	}
	info := map[string]*caseInfo{}
	for rows.Next() {
		c := &caseInfo{}
		if err := rows.Scan(&c.ID, &c.State, &c.Grade, &c.Category, &c.Description, &c.GridCode, &c.GridName, &c.TownshipName,
			&c.Deadline, &c.AssigneeName, &c.Version); err != nil {
			rows.Close()
			return err
		}
		info[c.ID] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: read cases: %w", err)
	}
	for i := range ns {
		n := &ns[i]
		if n.CaseID == "" {
			continue
		}
		c, ok := info[n.CaseID]
		if !ok {
			return fmt.Errorf("notify: case %s not found", n.CaseID)
		}
		n.c, n.Place = c, c.GridCode
	}
	return nil
}

// explicitUsers adds the users a raised notice names, if enabled.
func (s *Service) explicitUsers(ctx context.Context, tx pgx.Tx, ns []notice, told map[int][]int64) error {
	for i, n := range ns {
		if len(n.Users) == 0 {
			continue
		}
		rows, err := tx.Query(ctx, `SELECT id FROM users WHERE id = ANY($1) AND NOT disabled AND id IS DISTINCT FROM $2 ORDER BY id`, n.Users, n.ActorID)
		if err != nil {
			return fmt.Errorf("notify: users: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("notify: users: %w", err)
		}
		have := map[int64]bool{}
		for _, u := range told[i] {
			have[u] = true
		}
		for _, u := range ids {
			if !have[u] {
				told[i] = append(told[i], u)
			}
		}
	}
	return nil
}
