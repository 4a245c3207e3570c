// Package importers loads the files the bureau really has into the feature
// layers: GeoJSON (a FeatureCollection or newline-delimited, streamed),
// CSV (lon/lat columns, Chinese headers such as 经度/纬度/名称, or a WKT
// column), zipped Shapefiles (GBK or UTF-8 attributes, a .prj naming the
// CGCS2000 Gauss-Krüger zone) and GeoPackages, in WGS84, CGCS2000, Web
// Mercator, the Gauss-Krüger zones (EPSG:4491–4554), GCJ-02 or BD-09.
//
// An import runs in three phases:
//
//  1. Read and validate. The file is streamed row by row (one goroutine
//     reads and maps columns, in file order; the checks of each row run on
//     every core, checkPipeline); every row is held
//     to the layer's rules (features.ParseValue: required fields, enums,
//     ranges), its geometry type and position (inside the city; a swapped
//     lat/lon is named as such). GCJ-02 and BD-09 are converted in Go
//     (geo.ToWGS84). Rows that pass are COPYed into a per-import UNLOGGED
//     staging table, import_stage_<job id>.
//  2. Check in SQL. Projected coordinates are transformed by PostGIS
//     (ST_Transform), polygons checked with ST_IsValidReason, points placed
//     on grids (in Go with geo.GridIndex, or by riskmap_grid_at), and
//     duplicate external ids inside the file found. Every problem becomes a
//     line of the report: row, external id, field, reason.
//  3. Apply. If any row was rejected and SkipInvalid is off, nothing is
//     written and the staging table is dropped. Otherwise the staged rows are
//     upserted (by external_id for point layers, by code for grids and
//     areas) in batches, each batch one audited transaction that also
//     records, in import_jobs, how many rows are applied. Points carry the
//     grid, township and county codes they were placed in; the batch sets
//     riskmap.placement = 'verify', so the database checks them with one
//     set-based query per statement instead of placing every row again
//     (migrations/301_import_bulk.sql), and writes the audit rows and tile
//     clusters per statement too. A batch the check refuses (a grid edited
//     since the import began) is written again with the database placing
//     each point, and the report says so. A bulk load (BulkMode: --bulk on, or auto from BulkMinRows rows when
//     the file brings more rows than the point layer holds) writes the same
//     batches in one transaction that locks the layer, drops its secondary
//     indexes, and builds them again at the end, as
//     PostgreSQL's manual advises for populating a table; the layer's
//     readers wait meanwhile. A failure writes nothing.
//
// Crash safety: a batch and its progress mark commit together or not at
// all, so a process killed mid-import (SIGKILL included) leaves only whole
// batches, and import_jobs.applied says exactly how many rows of the file
// they hold; PostgreSQL rolls back the open batch when the connection drops.
// The job is then marked interrupted (Jobs.Reap, run at start-up, drops its
// staging table). Importing the same file again finishes the work: rows are
// matched by external id, so nothing is duplicated. A bulk load killed
// midway leaves nothing at all (applied stays 0).
package importers
