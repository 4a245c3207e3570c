package auth

import "riskmap"

// CanWriteLayer says which roles may change which layers (docs/domain.md): the
// administrative map is the city's; township offices keep their risk points,
// stations, depots and grids; hazard sources are county business and up.
func CanWriteLayer(role, layer string) bool {
	switch role {
	case riskmap.RoleAdmin, riskmap.RoleCity:
		return true
	case riskmap.RoleCounty:
		return layer != "areas"
	case riskmap.RoleTownship:
		return layer == "risk_points" || layer == "stations" || layer == "depots" || layer == "grids"
	}
	return false
}
