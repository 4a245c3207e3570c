package importers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/blobs"
)

// Job is one import as import_jobs records it.
type Job struct {
	ID         int64   `json:"id"`
	Layer      string  `json:"layer"`
	Format     string  `json:"format"`
	Filename   string  `json:"filename"`
	Status     string  `json:"status"` // queued, reading, checking, loading, done, rejected, failed, interrupted
	Phase      string  `json:"phase"`
	Actor      string  `json:"actor"`
	Rows       int     `json:"rows"`
	Valid      int     `json:"valid"`
	Rejected   int     `json:"rejected"`
	Applied    int     `json:"applied"`
	Inserted   int     `json:"inserted"`
	Updated    int     `json:"updated"`
	Progress   float64 `json:"progress"`
	Error      *string `json:"error"`
	HasRejects bool    `json:"has_rejects"`
	// SHA256 of the file imported; Audit is row (an audit line per
	// feature) or job (a bulk load: the job is the record, each feature
	// names it in import_job_id).
	SHA256      *string    `json:"sha256"`
	Audit       string     `json:"audit"`
	HasOriginal bool       `json:"has_original"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
}

// Finished reports whether the job has stopped, for good or ill.
func (j *Job) Finished() bool {
	switch j.Status {
	case "done", "rejected", "failed", "interrupted":
		return true
	}
	return false
}

// Jobs records imports in import_jobs and runs uploaded ones in the
// background of the replica that received them.
type Jobs struct {
	// Originals, when set, keeps each job's file as it came (the record
	// of a bulk job, audited per job: 632_import_job_audit.sql); without
	// it the job still records the file's SHA-256.
	Originals blobs.Store
	pool      *pgxpool.Pool
	im        *Importer
	logger    *slog.Logger
	replica   string
	wg        sync.WaitGroup
}

// NewJobs returns the job store.
func NewJobs(pool *pgxpool.Pool, logger *slog.Logger) *Jobs {
	host, _ := os.Hostname()
	if logger == nil {
		logger = slog.Default()
	}
	return &Jobs{pool: pool, im: New(pool), logger: logger, replica: host + ":" + strconv.Itoa(os.Getpid())}
}

// Importer is the importer the jobs run.
func (j *Jobs) Importer() *Importer { return j.im }

// Create records a new import by u (nil: the command line, as the OS user).
func (j *Jobs) Create(ctx context.Context, u *riskmap.User, filename string, opts Options) (int64, error) {
	if _, ok := j.im.layers[opts.Layer]; !ok {
		return 0, riskmap.Errorf(riskmap.EINVALID, "layer: unknown layer %q", opts.Layer).
			WithDetails(riskmap.Detail{Field: "layer", Message: "want one of areas, depots, grids, hazard_sources, risk_points, stations"})
	}
	o, _ := json.Marshal(opts)
	var actorID *int64
	actor := "cli:" + os.Getenv("USER")
	if u != nil {
		if u.ID > 0 {
			actorID = &u.ID
		}
		actor = u.Username + " (" + u.Role + ")"
	}
	var id int64
	err := j.pool.QueryRow(ctx, `INSERT INTO import_jobs (layer, format, filename, options, actor_id, actor, replica)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, opts.Layer, string(opts.Format), filename, o, actorID, actor, j.replica).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create import job: %w", err)
	}
	return id, nil
}

const jobColumns = `id, layer, format, filename, status, phase, actor, rows_read, rows_valid, rows_rejected, applied, inserted, updated,
	progress, error, EXISTS (SELECT 1 FROM import_files f WHERE f.job_id = j.id), sha256, audit, original_key IS NOT NULL,
	created_at, started_at, finished_at`

func scanJob(row pgx.Row) (*Job, error) {
	var jb Job
	var p float32
	err := row.Scan(&jb.ID, &jb.Layer, &jb.Format, &jb.Filename, &jb.Status, &jb.Phase, &jb.Actor, &jb.Rows, &jb.Valid, &jb.Rejected,
		&jb.Applied, &jb.Inserted, &jb.Updated, &p, &jb.Error, &jb.HasRejects, &jb.SHA256, &jb.Audit, &jb.HasOriginal, &jb.CreatedAt, &jb.StartedAt, &jb.FinishedAt)
	jb.Progress = float64(p)
	return &jb, err
}

// Get returns a job.
func (j *Jobs) Get(ctx context.Context, id int64) (*Job, error) {
	jb, err := scanJob(j.pool.QueryRow(ctx, "SELECT "+jobColumns+" FROM import_jobs j WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "import %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get import %d: %w", id, err)
	}
	return jb, nil
}

// List returns the latest jobs, newest first.
func (j *Jobs) List(ctx context.Context, limit int) ([]*Job, error) {
	rows, err := j.pool.Query(ctx, "SELECT "+jobColumns+" FROM import_jobs j ORDER BY id DESC LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	out := []*Job{}
	for rows.Next() {
		jb, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, jb)
	}
	return out, rows.Err()
}

// Report returns a finished job's report as JSON.
func (j *Jobs) Report(ctx context.Context, id int64) (json.RawMessage, error) {
	var rep []byte
	var status string
	err := j.pool.QueryRow(ctx, "SELECT report, status FROM import_jobs WHERE id = $1", id).Scan(&rep, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "import %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("import report %d: %w", id, err)
	}
	if rep == nil {
		return nil, riskmap.Errorf(riskmap.ECONFLICT, "import %d is %s: its report is ready when it finishes", id, status)
	}
	return rep, nil
}

// Rejects returns the rejected rows file of a job.
func (j *Jobs) Rejects(ctx context.Context, id int64) (*File, error) {
	var f File
	err := j.pool.QueryRow(ctx, "SELECT name, content_type, data FROM import_files WHERE job_id = $1 AND kind = 'rejects'", id).
		Scan(&f.Name, &f.ContentType, &f.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "import %d has no rejected rows file (only --skip-invalid imports that rejected rows have one)", id)
	}
	if err != nil {
		return nil, fmt.Errorf("import rejects %d: %w", id, err)
	}
	return &f, nil
}

// Run runs job id to the end in the calling goroutine and records the
// outcome. ctx carries the acting user for the audit log.
func (j *Jobs) Run(ctx context.Context, id int64, path, name string, opts Options, onProgress func(Progress)) (*Report, error) {
	if _, err := j.pool.Exec(ctx, "UPDATE import_jobs SET status = 'reading', phase = 'reading', started_at = now(), heartbeat_at = now() WHERE id = $1", id); err != nil {
		return nil, fmt.Errorf("start import %d: %w", id, err)
	}
	if err := j.keepOriginal(ctx, id, path); err != nil {
		_, _ = j.pool.Exec(context.Background(), `UPDATE import_jobs SET status = 'failed', error = $2, finished_at = now(), heartbeat_at = now() WHERE id = $1`, id, err.Error())
		return nil, err
	}
	hbCtx, stopHB := context.WithCancel(ctx)
	defer stopHB()
	var mu sync.Mutex
	last := Progress{Phase: "reading"}
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-hbCtx.Done():
				return
			case <-t.C:
				mu.Lock()
				p := last
				mu.Unlock()
				// status moves forward only: the apply batches set 'loading'
				_, _ = j.pool.Exec(hbCtx, `UPDATE import_jobs SET heartbeat_at = now(), rows_read = $2, phase = $3,
					status = CASE WHEN status IN ('reading', 'checking') THEN $3 ELSE status END,
					progress = CASE WHEN $3 = 'reading' THEN $4 ELSE progress END WHERE id = $1`, id, p.Rows, p.Phase, float32(p.Fraction))
			}
		}
	}()
	rep, err := j.im.Run(ctx, id, path, name, opts, func(p Progress) {
		mu.Lock()
		last = p
		mu.Unlock()
		if onProgress != nil {
			onProgress(p)
		}
	})
	stopHB()
	if err != nil {
		msg := riskmap.ErrorMessage(err)
		if riskmap.ErrorCode(err) == riskmap.EINTERNAL {
			msg = err.Error()
		}
		_, _ = j.pool.Exec(context.Background(), `UPDATE import_jobs SET status = 'failed', error = $2, finished_at = now(), heartbeat_at = now() WHERE id = $1`, id, msg)
		return nil, err
	}
	status := "done"
	if rep.Error != "" || (rep.Rejected > 0 && !opts.SkipInvalid) {
		status = "rejected"
	}
	body, _ := json.Marshal(rep)
	var errMsg *string
	if rep.Error != "" {
		errMsg = &rep.Error
	}
	err = pgx.BeginFunc(context.Background(), j.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE import_jobs SET status = $2, phase = 'done', report = $3, error = $4, rows_read = $5, rows_valid = $6,
			rows_rejected = $7, inserted = $8, updated = $9, progress = 1, finished_at = now(), heartbeat_at = now() WHERE id = $1`,
			id, status, body, errMsg, rep.Rows, rep.Valid, rep.Rejected, rep.Inserted, rep.Updated); err != nil {
			return err
		}
		if rep.Rejects != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO import_files (job_id, kind, name, content_type, data) VALUES ($1, 'rejects', $2, $3, $4)
				ON CONFLICT (job_id, kind) DO UPDATE SET name = excluded.name, content_type = excluded.content_type, data = excluded.data`,
				id, rep.Rejects.Name, rep.Rejects.ContentType, rep.Rejects.Data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("record import %d: %w", id, err)
	}
	return rep, nil
}

// keepOriginal records the file's SHA-256 and size in the job and, with an
// Originals store, keeps the file itself there (content-addressed: the
// same file imported twice is stored once).
func (j *Jobs) keepOriginal(ctx context.Context, id int64, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import %d: %w", id, err)
	}
	defer f.Close()
	var info blobs.Info
	if j.Originals != nil {
		if info, err = j.Originals.Put(ctx, f); err != nil {
			return fmt.Errorf("import %d: keep the original file: %w", id, err)
		}
	} else {
		h := sha256.New()
		if info.Size, err = io.Copy(h, f); err != nil {
			return fmt.Errorf("import %d: %w", id, err)
		}
		info.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	_, err = j.pool.Exec(ctx, "UPDATE import_jobs SET sha256 = $2, original_size = $3, original_key = nullif($4, '') WHERE id = $1",
		id, info.SHA256, info.Size, info.Key)
	return err
}

// Start runs job id in the background; cleanup (removing the uploaded
// file) runs when it ends. The job outlives the request that started it,
// so it runs under a context of its own carrying only the acting user.
func (j *Jobs) Start(u *riskmap.User, id int64, path, name string, opts Options, cleanup func()) {
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		if cleanup != nil {
			defer cleanup()
		}
		ctx := riskmap.NewContextWithUser(context.Background(), u)
		if _, err := j.Run(ctx, id, path, name, opts, nil); err != nil {
			j.logger.Error("import failed", "job", id, "err", err)
		}
	}()
}

// Wait waits for the background jobs of this process (tests, shutdown).
func (j *Jobs) Wait() { j.wg.Wait() }

// Reap marks as interrupted the jobs whose process stopped sending
// heartbeats (killed, crashed) and drops their staging tables. The rows
// their committed batches wrote stay, counted in applied.
func (j *Jobs) Reap(ctx context.Context, stale time.Duration) (int, error) {
	rows, err := j.pool.Query(ctx, `UPDATE import_jobs SET status = 'interrupted', finished_at = now(),
		error = format('the importing process stopped (last seen %s); %s rows were applied in whole batches; import the file again to finish: rows are matched by external id', heartbeat_at, applied)
		WHERE status IN ('queued', 'reading', 'checking', 'loading') AND heartbeat_at < now() - make_interval(secs => $1) RETURNING id`, stale.Seconds())
	if err != nil {
		return 0, fmt.Errorf("reap imports: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := j.pool.Exec(ctx, fmt.Sprintf("DROP TABLE IF EXISTS import_stage_%d", id)); err != nil {
			return len(ids), fmt.Errorf("drop staging of import %d: %w", id, err)
		}
	}
	return len(ids), nil
}
