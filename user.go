package riskmap

import "strings"

// User is an authenticated account with its scope.
type User struct {
	ID          int64    `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Role        string   `json:"role"`
	Areas       []string `json:"areas"`
	Grids       []string `json:"grids"`
	// Wrote is the primary's WAL position after the user's latest write
	// through the API (0: none known), read with the token: reads on a hot
	// standby wait for it, so users see their own writes whichever replica
	// answers (postgres.Reads).
	Wrote uint64 `json:"-"`
	// AccessToken is the id of the personal access token the request came
	// with (0: a login session); ReadOnly says that token may not write.
	AccessToken int64 `json:"-"`
	ReadOnly    bool  `json:"-"`
}

// Name is how records and messages name the user: the display name, or
// the username when it has none.
func (u *User) Name() string {
	if strings.TrimSpace(u.DisplayName) != "" {
		return u.DisplayName
	}
	return u.Username
}

// Scope is what the user may see: admins everything, workers their grids,
// everyone else their areas.
func (u *User) Scope() Scope {
	if u.Role == RoleAdmin {
		return Scope{All: true}
	}
	if u.Role == RoleWorker {
		return Scope{Grids: u.Grids}
	}
	return Scope{Areas: u.Areas}
}
