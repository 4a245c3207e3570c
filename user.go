package riskmap

// User is an authenticated account with its scope.
type User struct {
	ID          int64    `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Role        string   `json:"role"`
	Areas       []string `json:"areas"`
	Grids       []string `json:"grids"`
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
