# paysaga: everything a fresh machine needs is built or installed from here.
GO       ?= go
BIN      := $(CURDIR)/.bin
TEMPORAL := $(BIN)/temporal
SQLC     := $(BIN)/sqlc
OAPI_CODEGEN := $(BIN)/oapi-codegen
# Temporal server itself on PostgreSQL (the production shape): its binary, its
# SQL schema tool and the schema files of the same pinned module.
TEMPORAL_SERVER := $(BIN)/temporal-server
PAYSAGA  := $(BIN)/paysaga
export PAYSAGA_TEMPORAL_CLI := $(TEMPORAL)
export PAYSAGA_TEMPORAL_SERVER_DIR := $(BIN)

.PHONY: all tools temporal-server helm-check postgres browser console-screenshots compose-check build generate check-generated openapi-lint lint test dev bench bench-mixed bench-protocols bench-payouts fuzz chaos chaos-prod clean

all: build

# Pinned tools, built from the Go module proxy (tools/*/go.mod pin the versions).
tools: $(TEMPORAL) $(SQLC) $(OAPI_CODEGEN) $(TEMPORAL_SERVER)
temporal-server: $(TEMPORAL_SERVER)

$(TEMPORAL): tools/temporal/go.mod tools/temporal/go.sum
	cd tools/temporal && GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal

# Heavy on 2 cores (several minutes cold, see docs/scaling.md); once built, the
# Go build cache makes a rebuild seconds. The schema files are copied out of the
# module cache so that nothing depends on where GOMODCACHE is.
$(TEMPORAL_SERVER): tools/temporal-server/go.mod tools/temporal-server/go.sum
	@echo "building the Temporal server v$$(cd tools/temporal-server && $(GO) list -m -f '{{.Version}}' go.temporal.io/server) and its SQL tool (once)"
	cd tools/temporal-server && $(GO) build -o $(BIN)/temporal-sql-tool go.temporal.io/server/cmd/tools/sql
	rm -rf $(BIN)/temporal-schema
	cp -r "$$(cd tools/temporal-server && $(GO) list -m -f '{{.Dir}}' go.temporal.io/server)/schema/postgresql/v12" $(BIN)/temporal-schema
	chmod -R u+w $(BIN)/temporal-schema
	cd tools/temporal-server && $(GO) build -o $@ go.temporal.io/server/cmd/server

$(SQLC): tools/sqlc/go.mod tools/sqlc/go.sum
	cd tools/sqlc && GOBIN=$(BIN) $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc

$(OAPI_CODEGEN): tools/oapi-codegen/go.mod tools/oapi-codegen/go.sum
	cd tools/oapi-codegen && GOBIN=$(BIN) $(GO) install github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen

# PostgreSQL server binaries from Debian when the machine lacks them.
postgres:
	@scripts/ensure-postgres.sh

# The console's browser tests: Debian's chromium (never a downloaded browser),
# Korean fonts for its pages, and axe-core pinned by e2e/a11y/package-lock.json.
browser:
	@command -v chromium >/dev/null && [ -d /usr/share/fonts/opentype/noto ] || scripts/apt-install.sh chromium fonts-noto-cjk
	@[ -f e2e/a11y/node_modules/axe-core/axe.min.js ] || (cd e2e/a11y && npm ci --no-audit --no-fund)

# Screenshots of the console's main pages, as committed under docs/console/.
console-screenshots: tools postgres build browser
	PAYSAGA_CONSOLE_SCREENSHOTS=$(CURDIR)/docs/console $(PAYSAGA) services -- $(GO) test ./e2e -run 'TestConsole(Finance|Ops)' -count=1

# docker-compose.yml must stay valid (Debian's docker-compose validates offline).
compose-check:
	@command -v docker-compose >/dev/null || scripts/apt-install.sh docker-compose
	PAYSAGA_ENV_FILE=.env.example docker-compose --env-file .env.example config -q

build:
	$(GO) build -o $(PAYSAGA) ./cmd/paysaga

# The Helm chart: helm's lint and template (helm.sh/helm/v3 pinned in
# tools/helm/go.mod, the library the helm CLI is), every manifest decoded
# strictly into its k8s.io/api type, and nothing running as root.
helm-check:
	cd tools/helm && $(GO) test -count=1 . && $(GO) run . ../../deploy/helm/paysaga

generate: $(SQLC) $(OAPI_CODEGEN)
	cd db && $(SQLC) generate
	cd client && $(OAPI_CODEGEN) -config oapi-codegen.yaml ../api/openapi.yaml

# Fails when db/*.gen.go differ from what the queries and migrations generate,
# or client/client.gen.go from what api/openapi.yaml generates.
check-generated: $(SQLC) $(OAPI_CODEGEN)
	cd db && $(SQLC) diff
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	  sed "s|^output:.*|output: $$tmp/client.gen.go|" client/oapi-codegen.yaml >$$tmp/config.yaml && \
	  (cd client && $(OAPI_CODEGEN) -config $$tmp/config.yaml ../api/openapi.yaml) && \
	  diff -u client/client.gen.go $$tmp/client.gen.go || \
	  { echo "client/client.gen.go is stale: run make generate"; exit 1; }

# api/openapi.yaml must be valid OpenAPI 3.1 with 0 Redocly errors (pinned by
# tools/openapi-lint/package-lock.json, installed with npm ci).
OPENAPI_LINT := tools/openapi-lint
$(OPENAPI_LINT)/node_modules/.installed: $(OPENAPI_LINT)/package.json $(OPENAPI_LINT)/package-lock.json
	cd $(OPENAPI_LINT) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed

openapi-lint: $(OPENAPI_LINT)/node_modules/.installed
	cd $(OPENAPI_LINT) && npx --no-install redocly lint --config redocly.yaml --format=stylish ../../api/openapi.yaml

lint:
	@out=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Throwaway PostgreSQL + Temporal dev server, then every test (e2e included) with -race.
test: tools postgres browser check-generated openapi-lint lint compose-check helm-check build
	$(PAYSAGA) services -- scripts/gotest.sh

# Only what running needs: the Temporal CLI (dev server + UI) and paysaga; sqlc
# is a generator and the Temporal server is for the prod topology, so neither
# is built here. Cold, the CLI is the long part (README: "First make dev").
dev: postgres
	@test -x $(TEMPORAL) || echo "make dev: building the Temporal CLI into .bin/ (once; a few minutes on a cold Go cache)"
	@$(MAKE) --no-print-directory $(TEMPORAL)
	@echo "make dev: building paysaga"
	@$(MAKE) --no-print-directory build
	$(PAYSAGA) dev

# Both topologies in one run, each beside the bare workflow on its own server
# (BENCH_TOPOLOGY=dev or prod for one).
BENCH_TOPOLOGY ?= both
bench: tools postgres build
	$(PAYSAGA) bench -topology $(BENCH_TOPOLOGY) $(BENCH_FLAGS)

# The protocols' cost on one server in one run: default connectors (Toss, PortOne) vs the paysaga protocol.
bench-protocols: tools postgres build
	$(PAYSAGA) bench -compare-protocols $(BENCH_FLAGS)

# Mixed load (card + split checkouts, top-ups, refunds): table, .paysaga/bench/bench-mixed.{json,html}.
bench-mixed: tools postgres build
	$(PAYSAGA) bench -mixed $(BENCH_FLAGS)

# One payout run over 10,000 producers: its duration and largest history.
bench-payouts: tools postgres build
	$(PAYSAGA) bench -payouts 10000

# Load + chaos on a throwaway stack, then verify (CHAOS_FLAGS: -seed N to replay a schedule).
CHAOS_FLAGS ?=
chaos: tools postgres build
	$(PAYSAGA) chaos -report .paysaga/chaos-report.json $(CHAOS_FLAGS)

# The production shape under a longer load: Temporal on PostgreSQL, two APIs and
# two workers, one API or one worker SIGKILLed at a time (make test runs it short).
chaos-prod: tools postgres build
	$(PAYSAGA) chaos -topology prod -report .paysaga/chaos-prod-report.json $(CHAOS_FLAGS)

# Each fuzz target for FUZZTIME (their seed corpora also run as tests in make test).
FUZZTIME ?= 20s
fuzz: tools postgres build
	$(GO) test ./api -run '^$$' -fuzz '^FuzzCheckoutRequest$$' -fuzztime $(FUZZTIME)
	$(PAYSAGA) services -- $(GO) test ./api -run '^$$' -fuzz '^FuzzRouter$$' -fuzztime $(FUZZTIME)
	$(GO) test ./ledger -run '^$$' -fuzz '^FuzzRefundSlicesReverseTheCapture$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf $(BIN) .paysaga
