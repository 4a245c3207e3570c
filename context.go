package riskmap

import "context"

type ctxKey int

const userCtxKey ctxKey = 1

// NewContextWithUser returns ctx carrying the acting user, whom the database
// adapters name in the audit log.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userCtxKey, u)
}

// UserFromContext returns the acting user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userCtxKey).(*User)
	return u
}
