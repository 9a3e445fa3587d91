# paysaga: everything a fresh machine needs is built or installed from here.
GO       ?= go
BIN      := $(CURDIR)/.bin
TEMPORAL := $(BIN)/temporal
SQLC     := $(BIN)/sqlc
PAYSAGA  := $(BIN)/paysaga
export PAYSAGA_TEMPORAL_CLI := $(TEMPORAL)

.PHONY: all tools postgres browser console-screenshots compose-check build generate check-generated lint test dev bench bench-mixed bench-payouts fuzz chaos clean

all: build

# Pinned tools, built from the Go module proxy (tools/*/go.mod pin the versions).
tools: $(TEMPORAL) $(SQLC)

$(TEMPORAL): tools/temporal/go.mod tools/temporal/go.sum
	cd tools/temporal && GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal

$(SQLC): tools/sqlc/go.mod tools/sqlc/go.sum
	cd tools/sqlc && GOBIN=$(BIN) $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc

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

generate: $(SQLC)
	cd db && $(SQLC) generate

# Fails when db/*.gen.go differ from what the queries and migrations generate.
check-generated: $(SQLC)
	cd db && $(SQLC) diff

lint:
	@out=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Throwaway PostgreSQL + Temporal dev server, then every test (e2e included) with -race.
test: tools postgres browser check-generated lint compose-check build
	$(PAYSAGA) services -- scripts/gotest.sh

dev: tools postgres build
	$(PAYSAGA) dev

bench: tools postgres build
	$(PAYSAGA) bench $(BENCH_FLAGS)

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

# Each fuzz target for FUZZTIME (their seed corpora also run as tests in make test).
FUZZTIME ?= 20s
fuzz:
	$(GO) test ./api -run '^$$' -fuzz '^FuzzCheckoutRequest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./ledger -run '^$$' -fuzz '^FuzzRefundSlicesReverseTheCapture$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf $(BIN) .paysaga
