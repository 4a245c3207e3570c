# riskmap — `make demo` serves the demo city; `make test` runs every test.
SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN := bin/riskmap
ADDR ?= 127.0.0.1:8080
export PATH := $(dir $(GO)):$(PATH)

.PHONY: all deps build demo test vet fmt bench clean

all: build

# PostgreSQL's major version decides the extension packages' names
PGV := $(or $(shell ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1),15)

# pgRouting: road travel times of coverage (package coverage)
deps:
	@scripts/deps.sh postgresql-$(PGV)-pgrouting

build:
	$(GO) build -o $(BIN) ./cmd/riskmap

demo: deps build
	./$(BIN) demo --addr $(ADDR)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: deps build vet
	@scripts/deps.sh gdal-bin
	./$(BIN) db start >/dev/null
	$(GO) test -count=1 -timeout 20m ./...

# The vector tile benchmark (bench/tiles/README.md): about ten minutes; not
# part of make test. BENCH_TILES_ARGS="-reuse -d 20s" reuses its database.
.PHONY: bench-tiles
bench-tiles: deps
	@scripts/deps.sh wrk
	$(GO) run ./bench/tiles $(BENCH_TILES_ARGS)

# The bulk import benchmark (README "Import and export"): 1,000,000 points
# through riskmap import and through ogr2ogr; not part of make test.
# BENCH_IMPORT_ARGS="-reuse" reuses its database and generated file.
.PHONY: bench-import
bench-import: deps
	@scripts/deps.sh gdal-bin
	$(GO) run ./bench/import $(BENCH_IMPORT_ARGS)

# The coverage benchmark (bench/coverage): a few minutes; not part of make
# test. BENCH_COVERAGE_ARGS="-reuse" reuses its database.
.PHONY: bench-coverage
bench-coverage: deps
	$(GO) run ./bench/coverage $(BENCH_COVERAGE_ARGS)

clean:
	rm -rf bin
