// Package geo holds the geometry code the risk-map service runs outside
// PostGIS:
//
//   - GridIndex places points onto grid cells in memory with the same answer
//     the database gives for
//     "SELECT code FROM grid WHERE ST_Covers(geom, pt) ORDER BY code LIMIT 1",
//     boundary points included, so bulk placement need not round-trip to
//     the database.
//   - WGS84ToGCJ02 and friends convert between WGS-84/CGCS2000 and the
//     obfuscated GCJ-02 and BD-09 systems that Chinese map providers and
//     phone SDKs report; ParseCRS and ToWGS84 turn a client's declared
//     system into WGS-84.
//   - ParseGeometry, CheckType and CheckWithin reject malformed or
//     misplaced user geometry with errors that name the offending
//     coordinate. Topology (self-intersection and the like) is left to
//     PostGIS's ST_IsValidReason.
package geo
