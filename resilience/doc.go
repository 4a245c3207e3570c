// Package resilience proves that riskmap survives the faults of a typhoon
// night, each with a test that runs the real binary: PostgreSQL stopped and
// restarted under load (503s, never a hang, recovery within 5 s, no
// acknowledged write lost), the server killed with SIGKILL in the middle of
// an import (whole batches only), the attachment store full or read-only
// (507/503, no half-written case), two replicas on one database (a write
// through one shows in the other's tiles and live feed), slow and abusive
// clients (cut off by timeouts and limits), graceful shutdown.
//
// Faults that stop PostgreSQL use a private cluster (package localdb, in a
// temporary directory on a port of its own); the shared cluster other
// tests use is never stopped. The full-scale runs are `make soak`
// (bench/load).
package resilience
