package importers

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"riskmap/geo"
)

// SourceCRS is the coordinate system of an input file: one of geo's
// geographic systems (converted in Go: WGS84 and CGCS2000 as they are,
// GCJ-02 and BD-09 by geo.ToWGS84), or an EPSG projection that PostGIS
// transforms (Web Mercator, the CGCS2000 Gauss-Krüger zones).
type SourceCRS struct {
	Geo  geo.CRS // set for geographic systems
	SRID int     // EPSG code: 4326, 4490, 3857, 4491–4554
}

// Projected reports whether PostGIS must transform the coordinates.
func (c SourceCRS) Projected() bool { return c.Geo == "" }

func (c SourceCRS) String() string {
	if c.Geo != "" {
		return string(c.Geo)
	}
	return fmt.Sprintf("EPSG:%d", c.SRID)
}

// WGS84 is the default input system.
var WGS84 = SourceCRS{Geo: geo.CRSWGS84, SRID: 4326}

// ParseCRS reads --crs: wgs84, cgcs2000, gcj02, bd09, webmercator, or
// EPSG:N for N in 4326, 4490, 3857 (900913) and 4491–4554.
func ParseCRS(s string) (SourceCRS, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "webmercator", "web-mercator", "epsg:3857", "epsg:900913", "3857":
		return SourceCRS{SRID: 3857}, nil
	}
	if g, err := geo.ParseCRS(v); err == nil {
		c := SourceCRS{Geo: g}
		switch g {
		case geo.CRSWGS84:
			c.SRID = 4326
		case geo.CRSCGCS2000:
			c.SRID = 4490
		}
		return c, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(v, "epsg:"))
	if err == nil && n >= 4491 && n <= 4554 {
		return SourceCRS{SRID: n}, nil
	}
	return SourceCRS{}, fmt.Errorf("unknown coordinate system %q: want wgs84, cgcs2000, gcj02, bd09, webmercator (EPSG:3857) or a CGCS2000 Gauss-Krüger zone EPSG:4491–4554", s)
}

// gkSRID is the EPSG code of a CGCS2000 Gauss-Krüger projection with the
// given central meridian and false easting: zones with the zone number in
// front of the easting (38500000) or without it (500000), 3° or 6° wide.
//
//	4491–4501  6° zones 13–23, false easting n·10⁶+500000
//	4502–4512  6°, central meridian 75°E…135°E, false easting 500000
//	4513–4533  3° zones 25–45, false easting n·10⁶+500000
//	4534–4554  3°, central meridian 75°E…135°E, false easting 500000
func gkSRID(cm, falseEasting float64, threeDegree bool) (int, bool) {
	if cm != math.Trunc(cm) || cm < 75 || cm > 135 {
		return 0, false
	}
	m := int(cm)
	if falseEasting == 500000 {
		if threeDegree || (m-75)%6 != 0 {
			if (m-75)%3 != 0 {
				return 0, false
			}
			return 4534 + (m-75)/3, true
		}
		return 4502 + (m-75)/6, true
	}
	zone := int(falseEasting / 1e6)
	if float64(zone)*1e6+500000 != falseEasting {
		return 0, false
	}
	switch {
	case zone >= 25 && zone <= 45 && 3*zone == m:
		return 4513 + zone - 25, true
	case zone >= 13 && zone <= 23 && 6*zone-3 == m:
		return 4491 + zone - 13, true
	}
	return 0, false
}

var (
	prjAuthority = regexp.MustCompile(`AUTHORITY\s*\[\s*"EPSG"\s*,\s*"?([0-9]+)"?\s*\]\s*\]\s*$`)
	prjParam     = regexp.MustCompile(`(?i)PARAMETER\s*\[\s*"([a-z_ ]+)"\s*,\s*([-0-9.eE+]+)\s*\]`)
)

// CRSFromPRJ reads a Shapefile's .prj (ESRI or OGC WKT) and names its
// system: the EPSG authority of the whole definition when present, else
// recognised from the datum and projection parameters.
func CRSFromPRJ(wkt string) (SourceCRS, error) {
	w := strings.TrimSpace(wkt)
	if m := prjAuthority.FindStringSubmatch(w); m != nil {
		n, _ := strconv.Atoi(m[1])
		if c, err := ParseCRS(fmt.Sprintf("EPSG:%d", n)); err == nil {
			return c, nil
		}
	}
	up := strings.ToUpper(w)
	cgcs := strings.Contains(up, "2000") && (strings.Contains(up, "CGCS") || strings.Contains(up, "CHINA"))
	switch {
	case strings.HasPrefix(up, "GEOGCS") || strings.HasPrefix(up, "GEOGCRS"):
		if cgcs {
			return SourceCRS{Geo: geo.CRSCGCS2000, SRID: 4490}, nil
		}
		if strings.Contains(up, "WGS") && strings.Contains(up, "84") {
			return WGS84, nil
		}
	case strings.HasPrefix(up, "PROJCS") || strings.HasPrefix(up, "PROJCRS"):
		if strings.Contains(up, "MERCATOR") && (strings.Contains(up, "AUXILIARY_SPHERE") || strings.Contains(up, "PSEUDO") || strings.Contains(up, "WEB")) {
			return SourceCRS{SRID: 3857}, nil
		}
		params := map[string]float64{}
		for _, m := range prjParam.FindAllStringSubmatch(w, -1) {
			x, err := strconv.ParseFloat(m[2], 64)
			if err == nil {
				params[strings.ToLower(strings.ReplaceAll(m[1], " ", "_"))] = x
			}
		}
		cm, okCM := params["central_meridian"]
		fe, okFE := params["false_easting"]
		if cgcs && okCM && okFE && (strings.Contains(up, "GAUSS") || strings.Contains(up, "TRANSVERSE_MERCATOR") || strings.Contains(up, "GK")) {
			three := strings.Contains(up, "3_DEGREE") || strings.Contains(up, "3-DEGREE") || strings.Contains(up, "3 DEGREE")
			if srid, ok := gkSRID(cm, fe, three); ok {
				return SourceCRS{SRID: srid}, nil
			}
		}
	}
	name := w
	if len(name) > 80 {
		name = name[:80] + "…"
	}
	return SourceCRS{}, fmt.Errorf("the .prj names a coordinate system riskmap does not know (%s): give it with --crs (wgs84, cgcs2000, gcj02, bd09, webmercator, EPSG:4491–4554)", name)
}

// PRJ returns a .prj text (ESRI WKT as GDAL writes it) for the systems
// riskmap writes Shapefiles in.
func PRJ(c SourceCRS) string {
	switch {
	case c.Geo == geo.CRSCGCS2000:
		return `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["Degree",0.0174532925199433]]`
	case c.Geo != "":
		return `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	case c.SRID >= 4491 && c.SRID <= 4554:
		var cm, fe float64
		var name string
		switch {
		case c.SRID <= 4501:
			z := c.SRID - 4491 + 13
			cm, fe, name = float64(6*z-3), float64(z)*1e6+500000, fmt.Sprintf("CGCS2000_GK_Zone_%d", z)
		case c.SRID <= 4512:
			cm, fe = float64(75+6*(c.SRID-4502)), 500000
			name = fmt.Sprintf("CGCS2000_GK_CM_%dE", int(cm))
		case c.SRID <= 4533:
			z := c.SRID - 4513 + 25
			cm, fe, name = float64(3*z), float64(z)*1e6+500000, fmt.Sprintf("CGCS2000_3_Degree_GK_Zone_%d", z)
		default:
			cm, fe = float64(75+3*(c.SRID-4534)), 500000
			name = fmt.Sprintf("CGCS2000_3_Degree_GK_CM_%dE", int(cm))
		}
		return fmt.Sprintf(`PROJCS["%s",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",%.1f],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",%.1f],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`, name, fe, cm)
	case c.SRID == 3857:
		return `PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]`
	}
	return ""
}
