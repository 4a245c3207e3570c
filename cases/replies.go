package cases

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// Replies is a table of first replies to client-made ids: a phone that
// lost an answer sends again with the same id, and gets the first answer
// again, byte for byte, whenever it comes; the same id with other content,
// or from another user, is a conflict. Reports, patrols and inspections
// each keep theirs (case_reports, patrol_replies, inspection_replies).
type Replies struct {
	Table, IDColumn, UserColumn string // fixed identifiers, never user input
	What                        string // "report", "patrol", … for messages
}

// ReportReplies are the replies to case reports.
var ReportReplies = Replies{Table: "case_reports", IDColumn: "case_id", UserColumn: "reporter_id", What: "report"}

// Find returns the stored reply to id, when it is the same request (by its
// fingerprint fp) from the same user; found is false when id has no reply.
func (r Replies) Find(ctx context.Context, q queryRower, id string, user int64, fp []byte) (reply Reply, found bool, err error) {
	var who *int64
	var sum []byte
	var body string
	err = q.QueryRow(ctx, "SELECT "+r.UserColumn+", request_sha256, status, reply FROM "+r.Table+" WHERE "+r.IDColumn+" = $1", id).
		Scan(&who, &sum, &reply.Status, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return Reply{}, false, nil
	}
	if err != nil {
		return Reply{}, false, fmt.Errorf("replay %s %s: %w", r.What, id, err)
	}
	if who == nil || *who != user || !bytes.Equal(sum, fp) {
		return Reply{}, true, riskmap.Errorf(riskmap.ECONFLICT, "id %s was already used for a different %s: make a new id for a new %s", id, r.What, r.What).
			WithDetails(riskmap.Detail{Field: "id", Value: id, Message: "used for a different " + r.What})
	}
	reply.ID, reply.Body = id, []byte(body)
	return reply, true, nil
}

// Keep stores the first reply to id, in the transaction that made it.
func (r Replies) Keep(ctx context.Context, tx pgx.Tx, id string, user int64, fp []byte, reply Reply) error {
	_, err := tx.Exec(ctx, "INSERT INTO "+r.Table+" ("+r.IDColumn+", "+r.UserColumn+", request_sha256, status, reply) VALUES ($1, $2, $3, $4, $5)",
		id, user, fp, reply.Status, string(reply.Body))
	return err
}

// Taken is the conflict of an id that exists without a reply to replay.
func (r Replies) Taken(id string) error {
	return riskmap.Errorf(riskmap.ECONFLICT, "id %s is already taken: make a new id for a new %s", id, r.What).
		WithDetails(riskmap.Detail{Field: "id", Value: id, Message: "already taken"})
}

// Raced is the answer when an insert of id found it recorded meanwhile (a
// resend racing the first): the first reply when it is the same request,
// else the conflict (Find), or Taken when id has no reply to replay.
func (r Replies) Raced(ctx context.Context, q queryRower, id string, user int64, fp []byte) (Reply, error) {
	reply, found, err := r.Find(ctx, q, id, user, fp)
	if err == nil && !found {
		err = r.Taken(id)
	}
	return reply, err
}
