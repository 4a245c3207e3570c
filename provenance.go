package riskmap

import "context"

// How a write reached the database, recorded with it in the audit log
// (docs/editing.md): through the API by some client, through the web app,
// by approving a grid worker's proposal, by an import job, or straight in
// the database (QGIS, psql: no riskmap setting at all).
const (
	ViaAPI      = "api"
	ViaApp      = "app"
	ViaProposal = "proposal"
	ViaImport   = "import"
	ViaSQL      = "sql"
	ViaDemo     = "demo"
)

// Provenance says how the writes made with a context came about; the
// audited transaction names it in the transaction settings riskmap.via,
// riskmap.import_job_id and riskmap.proposal_id, which audit_log's column
// defaults read.
type Provenance struct {
	Via         string
	ImportJobID int64 // ViaImport: the job
	ProposalID  int64 // ViaProposal: the proposal approved
}

const provenanceCtxKey ctxKey = 2

// WithProvenance returns ctx carrying p.
func WithProvenance(ctx context.Context, p Provenance) context.Context {
	return context.WithValue(ctx, provenanceCtxKey, p)
}

// ProvenanceFromContext returns the context's provenance; a user's write
// with none said is an API write.
func ProvenanceFromContext(ctx context.Context) Provenance {
	p, _ := ctx.Value(provenanceCtxKey).(Provenance)
	if p.Via == "" && UserFromContext(ctx) != nil {
		p.Via = ViaAPI
	}
	return p
}
