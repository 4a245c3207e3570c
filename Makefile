# riskmap — `make demo` serves the demo city; `make test` runs every test.
SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN := bin/riskmap
ADDR ?= 127.0.0.1:8080
export PATH := $(dir $(GO)):$(PATH)
NODE := $(shell command -v node 2>/dev/null)
NPM := $(shell command -v npm 2>/dev/null)
# what to say when the web app cannot be built
NEED_NODE := echo "riskmap: building the web app (web/) needs Node.js 20 and npm on PATH, and they are missing: install Node.js 20 with npm (the nodejs 20.x package from NodeSource, as this kind of machine has preinstalled), then run make again" >&2; exit 1

.PHONY: all deps build demo test vet fmt bench clean web e2e

all: build

# PostgreSQL's major version decides the extension packages' names
PGV := $(or $(shell ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1),15)

# pgRouting: road travel times of coverage (package coverage)
deps:
	@scripts/deps.sh postgresql-$(PGV)-pgrouting fonts-droid-fallback fonts-dejavu-core

# The web app (MapLibre, bundled by esbuild into web/dist, embedded in the
# binary). npm ci runs again only when package-lock.json changes.
web/node_modules/.package-lock.json: web/package-lock.json
	@if [ -z "$(NODE)" ] || [ -z "$(NPM)" ]; then $(NEED_NODE); fi
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error

web: web/node_modules/.package-lock.json
	@if [ -z "$(NODE)" ]; then $(NEED_NODE); fi
	cd web && $(NODE) build.mjs

# Without Node the binary is built with a placeholder page at / (and says so).
build: $(if $(NODE),web)
	$(GO) build -o $(BIN) ./cmd/riskmap
	@$(if $(NODE),true,echo "warning: node not found: $(BIN) serves a placeholder at / instead of the web app; install Node.js 20 and npm and run make build" >&2)

# The web app's end-to-end tests: Chromium against `riskmap demo` on a fresh
# database of the local cluster (web/e2e/, screenshots in web/e2e/artifacts).
e2e: web build
	@scripts/deps.sh chromium fonts-noto-cjk poppler-utils fonts-droid-fallback fonts-dejavu-core
	./$(BIN) db start >/dev/null
	cd web && RISKMAP_E2E_BIN=$(BIN) $(NODE) --test --test-concurrency=1 e2e/

# The screenshots of docs/screenshots/ (each role's main screens at 1366x768
# and 390x844), taken again against the demo city (web/e2e/screenshots.mjs).
.PHONY: screenshots
screenshots: web build
	@scripts/deps.sh chromium fonts-noto-cjk
	./$(BIN) db start >/dev/null
	cd web && RISKMAP_E2E_BIN=$(BIN) $(NODE) e2e/screenshots.mjs

demo: deps build
	./$(BIN) demo --addr $(ADDR)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: deps web build vet
	@scripts/deps.sh gdal-bin chromium fonts-noto-cjk poppler-utils
	./$(BIN) db start >/dev/null
	$(GO) test -count=1 -timeout 20m ./...
	cd web && RISKMAP_E2E_BIN=$(BIN) $(NODE) --test --test-concurrency=1 e2e/

# The vector tile benchmark (bench/tiles/README.md): about ten minutes; not
# part of make test. BENCH_TILES_ARGS="-reuse -d 20s" reuses its database.
.PHONY: bench-tiles
bench-tiles: deps
	@scripts/deps.sh wrk
	$(GO) run ./bench/tiles $(BENCH_TILES_ARGS)

# The feature list benchmark (bench/features/README.md): OGC items and
# layer lists, this checkout against the build before the list speed-up;
# not part of make test. BENCH_FEATURES_ARGS="-reuse" reuses its database.
.PHONY: bench-features
bench-features: deps
	@scripts/deps.sh wrk
	$(GO) run ./bench/features $(BENCH_FEATURES_ARGS)

# The coverage benchmark (bench/coverage): a few minutes; not part of make
# test. BENCH_COVERAGE_ARGS="-reuse" reuses its database.
.PHONY: bench-coverage
bench-coverage: deps
	$(GO) run ./bench/coverage $(BENCH_COVERAGE_ARGS)

# The routine work's benchmark (bench/routine/README.md): due lists of 50
# workers at once and the inspection statistics over 1,000,000 cases,
# 200,000 inspections and 2,000,000 patrols; not part of make test.
# BENCH_ROUTINE_ARGS="-reuse" reuses its database.
.PHONY: bench-routine
bench-routine: deps
	flock -o /tmp/riskmap-bench.lock $(GO) run ./bench/routine $(BENCH_ROUTINE_ARGS)

# The offline map download of one township (bench/offline/README.md): the
# app in Chromium against riskmap demo, a few minutes; not part of make test.
.PHONY: bench-offline
bench-offline: web build
	@scripts/deps.sh chromium fonts-noto-cjk
	./$(BIN) db start >/dev/null
	cd web && RISKMAP_E2E_BIN=$(BIN) $(NODE) ../bench/offline/run.mjs

# The notification job's benchmark (bench/notify/README.md): 100,000 open
# cases, the job's run time and its effect on concurrent reads; a few
# minutes; not part of make test. BENCH_NOTIFY_ARGS="-reuse" reuses its database.
.PHONY: bench-notify
bench-notify: deps
	flock -o /tmp/riskmap-bench.lock $(GO) run ./bench/notify $(BENCH_NOTIFY_ARGS)

# The bulk import benchmark (README "Import and export"): 1,000,000 points
# through riskmap import and through ogr2ogr; not part of make test.
# BENCH_IMPORT_ARGS="-reuse" reuses its database and generated file.
.PHONY: bench-import
bench-import: deps
	@scripts/deps.sh gdal-bin
	$(GO) run ./bench/import $(BENCH_IMPORT_ARGS)

# Load and faults at full scale (README "Operations"): 200 clients for 60 s
# against one server (scratch_resilience_load), the same with PostgreSQL
# stopped for 10 s in the middle (a private cluster, never the shared one),
# then the fault tests of package resilience. About ten minutes; not part of
# make test (the resilience tests are, at a smaller scale).
# SOAK_ARGS="-clients 100 -d 30s" scales both load runs.
.PHONY: soak
soak: deps
	$(GO) run ./bench/load $(SOAK_ARGS)
	$(GO) run ./bench/load -fault pg-restart $(SOAK_ARGS)
	$(GO) test -count=1 -v -run . ./resilience

clean:
	rm -rf bin
