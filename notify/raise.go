package notify

import (
	"context"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/cases"
)

// CaseEvents tells of case events (cases.Notifier): reported, assigned,
// returned, submitted, rejected, escalated; other actions tell no one.
func (s *Service) CaseEvents(ctx context.Context, tx pgx.Tx, events []cases.Recorded) error {
	var ns []notice
	for _, e := range events {
		kind, ok := kindOfAction(e.Action)
		if !ok {
			continue
		}
		ns = append(ns, notice{Kind: kind, Level: e.Level, CaseID: e.CaseID, ActorID: e.ActorID, Reason: e.Reason})
	}
	return s.deliver(ctx, tx, ns)
}

// Notice is what another domain raises (Raise): a proposal or a patrol to
// review, an inspection due, or any kind of Kinds().
type Notice struct {
	// Kind, e.g. "proposal_review", "patrol_review", "inspection_due".
	Kind string
	// Place is where it happened: a 15-digit grid or 12-digit area code.
	// The kind's rule says which offices there hear of it.
	Place string
	// CaseID, when it is about a case (then Place is the case's grid).
	CaseID string
	// Users are told whatever the rule says (e.g. the inspectors drawn).
	Users []int64
	// ActorID, who did it, is never told of it.
	ActorID *int64
	// What it is about (e.g. "proposal", "42"), for the inbox and the
	// robots' messages.
	RefType, RefID string
	// Title (at most 200 characters) and Body (1000) in Chinese; Link, a
	// path of the app ("/#proposal=42") or an absolute URL.
	Title, Body, Link string
	// Dedupe names the notice: raising the same again tells no one twice.
	// Default: Kind, RefType and RefID.
	Dedupe string
}

var placeCode = regexp.MustCompile(`^([0-9]{12}|[0-9]{15})$`)

// Raise tells of n inside tx, the transaction that records what it is
// about, so that the notice exists if and only if that commits: the inbox
// of those the kind's rule names at the place (and of n.Users), and the
// robots of the offices named. It is idempotent on n.Dedupe.
//
// Other domains call it with the *Service they are given when wired:
//
//	err := s.notices.Raise(ctx, tx, notify.Notice{Kind: "proposal_review", Place: gridCode,
//		ActorID: &u.ID, RefType: "proposal", RefID: id, Title: "风险点变更待审核：…", Link: "/#proposal=" + id})
func (s *Service) Raise(ctx context.Context, tx pgx.Tx, n Notice) error {
	var problems []riskmap.Detail
	if !isKind(n.Kind) {
		problems = append(problems, riskmap.Detail{Field: "kind", Value: n.Kind, Message: "not a kind of notification"})
	}
	if n.CaseID == "" && !placeCode.MatchString(n.Place) {
		problems = append(problems, riskmap.Detail{Field: "place", Value: n.Place, Message: "want a 15-digit grid or 12-digit area code"})
	}
	if n.CaseID == "" && strings.TrimSpace(n.Title) == "" {
		problems = append(problems, riskmap.Detail{Field: "title", Message: "required"})
	}
	if len(problems) > 0 {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "notify: cannot raise %q: %s", n.Kind, problems[0].Message).WithDetails(problems...)
	}
	no := notice{Kind: n.Kind, CaseID: n.CaseID, Place: n.Place, Users: n.Users, ActorID: n.ActorID, RefType: n.RefType,
		RefID: n.RefID, Title: clip(n.Title, 200), Body: clip(n.Body, 1000), Link: n.Link, Dedupe: n.Dedupe}
	if no.Dedupe == "" && n.RefType == "" && n.RefID == "" {
		// nothing names it: every raise is its own
		no.Dedupe = n.Kind + ":" + strings.Join([]string{n.Place, n.Title, n.Body}, "|")
	}
	return s.deliver(ctx, tx, []notice{no})
}
