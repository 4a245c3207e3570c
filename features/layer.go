// Package features stores and serves the map's feature layers (areas, grids,
// risk points, hazard sources, stations, depots) as GeoJSON, with placement
// on grids, optimistic concurrency and scope filtering done in SQL.
package features

import (
	"sort"

	"riskmap"
)

// Kind is the type of a property, deciding how input is checked and cast.
type Kind int

const (
	Text Kind = iota
	Int
	Numeric
	Date
	Bool
	Enum
	IntEnum // a small integer from a fixed set, e.g. risk_level 1–4
	Code12  // 12-digit administrative code
	Code15  // 15-digit grid code
)

// Field is one writable property; its Name is also its column (a fixed
// allow-list: no user text ever becomes an identifier).
type Field struct {
	Name     string
	Kind     Kind
	Required bool
	Values   []string // Enum
	Ints     []int    // IntEnum
	Min      float64  // Int, Numeric
	Max      float64
	MaxLen   int // Text
}

// Layer describes one table served as a feature layer.
type Layer struct {
	Name     string // API name and table name
	Geometry string // "Point" or "MultiPolygon"
	Fields   []Field
	// Derived are read-only properties computed by the database.
	Derived []string
	// Inventory marks the depot layer whose features carry inventory lines.
	Inventory bool
	// Placed layers get grid_code, township_code and county_code by trigger.
	Placed bool
	// ScopeColumn is the 15-digit grid code (or 12-digit area code for areas)
	// the scope filter matches.
	ScopeColumn string
}

// ScopeSQL is the predicate keeping the layer's rows (alias t) in scope, and
// its arguments numbered from next: areas are visible when they lie in the
// scope or hold part of it (riskmap.Scope.AreaSQL), everything else when its
// ScopeColumn lies in it (riskmap.Scope.SQL).
func (l *Layer) ScopeSQL(s riskmap.Scope, next int) (string, []any) {
	if l.Name == "areas" {
		return s.AreaSQL("t."+l.ScopeColumn, next)
	}
	return s.SQL("t."+l.ScopeColumn, next)
}

// Field returns the named field.
func (l *Layer) Field(name string) (Field, bool) {
	for _, f := range l.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// IsDerived reports whether name is a read-only property.
func (l *Layer) IsDerived(name string) bool {
	for _, d := range l.Derived {
		if d == name {
			return true
		}
	}
	return false
}

func named(f Field, name string) Field { f.Name = name; return f }

func text(name string, required bool) Field {
	return Field{Name: name, Kind: Text, Required: required, MaxLen: 500}
}

// RiskCategories are the risk point categories of docs/domain.md.
func RiskCategories() []string {
	return []string{"geological", "flood", "reservoir", "coastal", "forest_fire",
		"crowded_place", "construction", "road_traffic", "fire", "other"}
}

// Registry is the fixed set of feature layers.
type Registry map[string]*Layer

// NewRegistry returns the layers of docs/domain.md.
func NewRegistry() Registry {
	phone := Field{Kind: Text, MaxLen: 20}
	status := Field{Name: "status", Kind: Enum, Values: []string{"active", "retired"}}
	extID := Field{Name: "external_id", Kind: Text, MaxLen: 100}
	// import_job_id: the import that last wrote the feature (migration 632)
	placed := []string{"grid_code", "township_code", "county_code", "version", "created_at", "updated_at", "import_job_id"}
	timeOnly := []string{"version", "created_at", "updated_at", "import_job_id"}
	ls := []*Layer{
		{
			Name: "areas", Geometry: "MultiPolygon", ScopeColumn: "code", Derived: timeOnly,
			Fields: []Field{
				{Name: "code", Kind: Code12, Required: true},
				text("name", true),
				{Name: "level", Kind: Enum, Required: true, Values: []string{"city", "county", "township", "village"}},
				{Name: "parent_code", Kind: Code12},
				{Name: "population", Kind: Int, Min: 0, Max: 1e8},
			},
		},
		{
			Name: "grids", Geometry: "MultiPolygon", ScopeColumn: "code",
			Derived: append([]string{"village_code", "township_code", "county_code"}, timeOnly...),
			Fields: []Field{
				{Name: "code", Kind: Code15, Required: true},
				text("name", true),
				text("worker", false),
				named(phone, "worker_phone"),
				{Name: "households", Kind: Int, Min: 0, Max: 1e7},
				{Name: "population", Kind: Int, Min: 0, Max: 1e8},
			},
		},
		{
			Name: "risk_points", Geometry: "Point", Placed: true, ScopeColumn: "grid_code", Derived: placed,
			Fields: []Field{
				extID,
				text("name", true),
				{Name: "category", Kind: Enum, Required: true, Values: RiskCategories()},
				{Name: "risk_level", Kind: IntEnum, Required: true, Ints: []int{1, 2, 3, 4}},
				text("address", false),
				text("responsible_unit", false),
				text("responsible_person", false),
				named(phone, "phone"),
				{Name: "population_exposed", Kind: Int, Min: 0, Max: 1e7},
				{Name: "last_inspection", Kind: Date},
				status,
			},
		},
		{
			Name: "hazard_sources", Geometry: "Point", Placed: true, ScopeColumn: "grid_code", Derived: placed,
			Fields: []Field{
				extID,
				text("name", true),
				{Name: "credit_code", Kind: Text, MaxLen: 18},
				{Name: "category", Kind: Enum, Required: true, Values: []string{"hazardous_chemicals", "fireworks",
					"non_coal_mine", "gas", "industrial_trade", "other"}},
				{Name: "major_hazard_level", Kind: IntEnum, Ints: []int{1, 2, 3, 4}},
				text("main_substances", false),
				text("legal_representative", false),
				text("safety_officer", false),
				named(phone, "safety_phone"),
				text("licence_no", false),
				{Name: "licence_expiry", Kind: Date},
				text("address", false),
				status,
			},
		},
		{
			Name: "stations", Geometry: "Point", Placed: true, ScopeColumn: "grid_code", Derived: placed,
			Fields: []Field{
				extID,
				text("name", true),
				{Name: "kind", Kind: Enum, Required: true, Values: []string{"office", "rescue_team", "platform"}},
				{Name: "staff", Kind: Int, Min: 0, Max: 1e5},
				{Name: "vehicles", Kind: Int, Min: 0, Max: 1e4},
				named(phone, "phone"),
				{Name: "on_duty_24h", Kind: Bool},
				text("address", false),
				status,
			},
		},
		{
			Name: "depots", Geometry: "Point", Placed: true, ScopeColumn: "grid_code", Derived: placed, Inventory: true,
			Fields: []Field{
				extID,
				text("name", true),
				{Name: "capacity_m2", Kind: Numeric, Min: 0, Max: 1e7},
				text("keeper", false),
				named(phone, "keeper_phone"),
				text("address", false),
				status,
			},
		},
	}
	r := Registry{}
	for _, l := range ls {
		r[l.Name] = l
	}
	return r
}

// Names lists the layer names in order.
func (r Registry) Names() []string {
	out := make([]string, 0, len(r))
	for n := range r {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
