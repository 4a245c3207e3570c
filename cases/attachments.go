package cases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/blobs"
	"riskmap/postgres"
)

// AttachmentTypes are the evidence types accepted, decided by the content
// (http.DetectContentType), never by the name or the declared type.
func AttachmentTypes() []string { return blobs.PhotoTypes() }

// Attachment describes one evidence file.
type Attachment struct {
	ID          string    `json:"id"`
	CaseID      string    `json:"case_id"`
	URL         string    `json:"url"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Filename    string    `json:"filename,omitempty"`
	UploadedAt  time.Time `json:"uploaded_at"`
	blobKey     string
}

// AttachmentURL is where an attachment is served.
func AttachmentURL(id string) string { return "/api/v1/attachments/" + id }

// CheckAttach says whether u may add evidence to the case, before any byte
// of the upload is read.
func (s *Store) CheckAttach(ctx context.Context, u *riskmap.User, caseID string) error {
	caseID = strings.ToLower(caseID)
	if !canReport(u.Role) {
		return riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not add evidence to cases", u.Role)
	}
	if !ValidID(caseID) {
		return riskmap.Errorf(riskmap.ENOTFOUND, "case %s not found", caseID)
	}
	vis, args := visibleSQL(u, 2)
	var state string
	err := s.pool.QueryRow(ctx, "SELECT c.state FROM cases c WHERE c.id = $1 AND "+vis, append([]any{caseID}, args...)...).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		if u.Scope().All {
			return riskmap.Errorf(riskmap.ENOTFOUND, "case %s not found", caseID)
		}
		return riskmap.Errorf(riskmap.EFORBIDDEN, "case %s is not in your area", caseID)
	}
	if err != nil {
		return fmt.Errorf("case %s: %w", caseID, err)
	}
	if state == Void || state == Duplicate {
		return riskmap.Errorf(riskmap.ECONFLICT, "case %s is %s: it takes no more evidence", caseID, state)
	}
	return nil
}

// Attach stores an uploaded file as evidence of a case: the type is sniffed
// from the content, the size capped, the SHA-256 kept. The blob is stored
// (under its content hash, so a retry is harmless) before the row that
// points at it is committed: a row never points at a missing blob.
func (s *Store) Attach(ctx context.Context, u *riskmap.User, caseID, filename string, r io.Reader) (Attachment, error) {
	return s.AttachOnce(ctx, u, caseID, "", filename, r)
}

// AttachOnce is Attach made idempotent by a client-made id (a UUID; ""
// for none): the same upload sent again with it answers the attachment
// stored the first time and stores nothing new. The same id from another
// user, for another case or with other bytes is a conflict.
func (s *Store) AttachOnce(ctx context.Context, u *riskmap.User, caseID, clientID, filename string, r io.Reader) (Attachment, error) {
	caseID = strings.ToLower(caseID)
	clientID = strings.ToLower(clientID)
	if clientID != "" && !ValidID(clientID) {
		return Attachment{}, riskmap.Errorf(riskmap.EUNPROCESSABLE, "client_id: want a UUID made by the client for this upload, got %q", clientID).
			WithDetails(riskmap.Detail{Field: "client_id", Value: clientID, Message: "not a UUID"})
	}
	if err := s.CheckAttach(ctx, u, caseID); err != nil {
		return Attachment{}, err
	}
	// everything that can refuse the request comes before the blob is
	// written; the name is kept as a label, so it is cleaned, not refused
	filename = CleanFilename(filename)
	info, ct, err := blobs.PutUpload(ctx, s.blobs, "file", r, s.cfg.MaxUpload, AttachmentTypes())
	if err != nil {
		return Attachment{}, err
	}
	a := Attachment{CaseID: caseID, SHA256: info.SHA256, ContentType: ct, Size: info.Size, Filename: filename}
	err = postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO attachments (case_id, sha256, content_type, size, blob_key, filename, uploaded_by, client_id)
			VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7, nullif($8, '')::uuid)
			ON CONFLICT (client_id) DO NOTHING RETURNING id::text, uploaded_at`,
			caseID, info.SHA256, ct, info.Size, info.Key, filename, u.ID, clientID).Scan(&a.ID, &a.UploadedAt)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// the same upload sent again: answer the one stored
		var first Attachment
		var by *int64
		var name *string
		if err := tx.QueryRow(ctx, `SELECT id::text, case_id::text, sha256, content_type, size, filename, uploaded_by, uploaded_at
			  FROM attachments WHERE client_id = $1`, clientID).
			Scan(&first.ID, &first.CaseID, &first.SHA256, &first.ContentType, &first.Size, &name, &by, &first.UploadedAt); err != nil {
			return fmt.Errorf("replay upload %s: %w", clientID, err)
		}
		if by == nil || *by != u.ID || first.CaseID != caseID || first.SHA256 != info.SHA256 {
			return riskmap.Errorf(riskmap.ECONFLICT, "client_id %s was already used for a different upload: make a new id for a new file", clientID).
				WithDetails(riskmap.Detail{Field: "client_id", Value: clientID, Message: "used for a different upload"})
		}
		if name != nil {
			first.Filename = *name
		}
		a = first
		return nil
	})
	if err != nil {
		return Attachment{}, postgres.Translate(err)
	}
	a.URL = AttachmentURL(a.ID)
	return a, nil
}

// maxFilename is the longest file name kept, in bytes.
const maxFilename = 200

// CleanFilename makes an uploaded file's name safe to store and show: its
// last path element, valid UTF-8 (a byte that is not becomes U+FFFD), no
// control characters, at most maxFilename bytes cut on a character
// boundary.
func CleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	if len(name) > maxFilename {
		cut := maxFilename
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut]
	}
	return strings.TrimSpace(name)
}

// OpenAttachment returns an attachment and its content, if its case is one
// u may see; otherwise it does not exist.
func (s *Store) OpenAttachment(ctx context.Context, u *riskmap.User, id string) (Attachment, blobs.File, error) {
	id = strings.ToLower(id)
	notFound := riskmap.Errorf(riskmap.ENOTFOUND, "attachment %s not found", id)
	if !ValidID(id) {
		return Attachment{}, nil, notFound
	}
	vis, args := visibleSQL(u, 2)
	var a Attachment
	var filename *string
	err := s.pool.QueryRow(ctx, `SELECT a.id::text, a.case_id::text, a.sha256, a.content_type, a.size, a.blob_key, a.filename, a.uploaded_at
		  FROM attachments a JOIN cases c ON c.id = a.case_id WHERE a.id = $1 AND `+vis, append([]any{id}, args...)...).
		Scan(&a.ID, &a.CaseID, &a.SHA256, &a.ContentType, &a.Size, &a.blobKey, &filename, &a.UploadedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Attachment{}, nil, notFound
	}
	if err != nil {
		return Attachment{}, nil, fmt.Errorf("attachment %s: %w", id, err)
	}
	if filename != nil {
		a.Filename = *filename
	}
	a.URL = AttachmentURL(a.ID)
	f, err := s.blobs.Open(ctx, a.blobKey)
	if errors.Is(err, blobs.ErrNotFound) {
		return Attachment{}, nil, fmt.Errorf("attachment %s: blob %s missing: %w", id, a.blobKey, err)
	}
	if errors.Is(err, blobs.ErrUnavailable) {
		return Attachment{}, nil, &riskmap.Error{Code: riskmap.EUNAVAILABLE, Message: "the attachment store cannot be read at the moment", Err: err}
	}
	if err != nil {
		return Attachment{}, nil, fmt.Errorf("attachment %s: %w", id, err)
	}
	return a, f, nil
}
