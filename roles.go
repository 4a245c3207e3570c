package riskmap

// Roles (docs/domain.md "Roles"): what a user may do; what they may see is
// their Scope.
const (
	RoleAdmin    = "admin"
	RoleCity     = "city"
	RoleCounty   = "county"
	RoleTownship = "township"
	RoleWorker   = "worker"
	RolePlanner  = "planner"
)

// Roles lists every role.
func Roles() []string {
	return []string{RoleAdmin, RoleCity, RoleCounty, RoleTownship, RoleWorker, RolePlanner}
}
