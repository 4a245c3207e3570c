package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"riskmap/auth"
	"riskmap/features"
)

// layerSchema is one feature layer as the web app's forms need it: its
// geometry, its writable fields with their types and allowed values, and
// whether the user may change it at all (auth.CanWriteLayer). The forms are
// built from it, so the app never offers a field or value the server
// refuses.
type layerSchema struct {
	Name     string        `json:"name"`
	Geometry string        `json:"geometry"`
	Writable bool          `json:"writable"`
	Fields   []fieldSchema `json:"fields"`
	Derived  []string      `json:"derived"`
}

type fieldSchema struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Required  bool     `json:"required"`
	Values    []string `json:"values,omitempty"`
	Ints      []int    `json:"ints,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	MaxLength int      `json:"max_length,omitempty"`
}

var kindNames = map[features.Kind]string{
	features.Text: "text", features.Int: "integer", features.Numeric: "number", features.Date: "date", features.Bool: "boolean",
	features.Enum: "enum", features.IntEnum: "int_enum", features.Code12: "code12", features.Code15: "code15",
}

// listLayers: GET /api/v1/layers.
func (s *Server) listLayers(c *gin.Context) {
	role := currentUser(c).Role
	out := []layerSchema{}
	for _, name := range s.Features.Layers.Names() {
		l := s.Features.Layers[name]
		ls := layerSchema{Name: l.Name, Geometry: l.Geometry, Writable: auth.CanWriteLayer(role, l.Name), Fields: []fieldSchema{}, Derived: l.Derived}
		for _, f := range l.Fields {
			fs := fieldSchema{Name: f.Name, Type: kindNames[f.Kind], Required: f.Required, Values: f.Values, Ints: f.Ints, MaxLength: f.MaxLen}
			if f.Kind == features.Int || f.Kind == features.Numeric {
				lo, hi := f.Min, f.Max
				fs.Min, fs.Max = &lo, &hi
			}
			ls.Fields = append(ls.Fields, fs)
		}
		out = append(out, ls)
	}
	c.JSON(http.StatusOK, gin.H{"layers": out})
}
