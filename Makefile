# Sidewire developer targets. `make run` and `make test` are the two
# commands the README promises a newcomer.
GO        ?= go
BIN       ?= bin/sidewire
FUZZTIME  ?= 4s
export GOFLAGS ?= -mod=mod

.PHONY: all build run test vet unit fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sidewire

# Runs the embedded default bootstrap (admin on 127.0.0.1:9901).
run: build
	$(BIN) run

# The whole suite: vet, unit and integration tests under the race
# detector, then a short fuzz pass over every Fuzz target.
test: vet unit fuzz

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz-all.sh

# `make bench` builds bin/sidewire, runs every Go benchmark with -benchmem,
# then the loopback load harness (bench/cmd/loadtest), which compares the
# same load direct, through Sidewire and through haproxy/twemproxy and
# prints medians and ratios. It needs redis-server, redis-tools, haproxy and
# nutcracker from Debian. Pass harness flags in BENCH_ARGS, e.g.
#   make bench-load BENCH_ARGS='-reps 5 -markdown'
# and Go benchmark flags in BENCH_GO_ARGS, e.g. BENCH_GO_ARGS='-benchtime 2s'.
BENCH_ARGS    ?=
BENCH_GO_ARGS ?=

.PHONY: bench bench-go bench-load

bench: build
	$(GO) test -run '^$$' -bench . -benchmem $(BENCH_GO_ARGS) ./...
	$(GO) run ./bench/cmd/loadtest -sidewire $(BIN) $(BENCH_ARGS)

# Only the Go benchmarks.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem $(BENCH_GO_ARGS) ./...

# Only the load harness.
bench-load: build
	$(GO) run ./bench/cmd/loadtest -sidewire $(BIN) $(BENCH_ARGS)

clean:
	rm -rf bin
