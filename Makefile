# Sidewire developer targets. `make run` and `make test` are the two
# commands the README promises a newcomer.
GO        ?= go
BIN       ?= bin/sidewire
FUZZTIME  ?= 4s
export GOFLAGS ?= -mod=mod

.PHONY: all build run test vet unit fuzz interop clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sidewire

# Runs the embedded default bootstrap (admin on 127.0.0.1:9901).
run: build
	$(BIN) run

# The whole suite: vet, unit and integration tests under the race
# detector, a short fuzz pass over every Fuzz target, then the interop
# tests against real dubbo-go peers.
test: vet unit fuzz interop

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz-all.sh

# interop/ is its own Go module (dubbo-go and its ~450 modules stay out of
# the main go.mod): Sidewire, race-built, driven by real dubbo-go
# consumers and providers. The first run downloads ~900 MB of modules and
# takes ~5 minutes; a warm run ~30 s.
interop:
	cd interop && $(GO) vet ./... && $(GO) test -count=1 -timeout 10m ./...

# `make bench` builds bin/sidewire, runs every Go benchmark with -benchmem,
# then the loopback load harness (bench/cmd/loadtest), which compares the
# same load direct, through Sidewire and through haproxy/twemproxy and
# prints medians and ratios. It needs redis-server, redis-tools, haproxy and
# nutcracker from Debian. Pass harness flags in BENCH_ARGS, e.g.
#   make bench-load BENCH_ARGS='-reps 5 -markdown'
# and Go benchmark flags in BENCH_GO_ARGS, e.g. BENCH_GO_ARGS='-benchtime 2s'.
BENCH_ARGS    ?=
BENCH_GO_ARGS ?=
DUBBO_BENCH_ARGS ?=

.PHONY: bench bench-go bench-load bench-dubbo

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

# Dubbo calls direct vs through Sidewire (interop/dubbo/cmd/dubboload).
bench-dubbo: build
	cd interop && $(GO) run ./dubbo/cmd/dubboload -sidewire $(abspath $(BIN)) $(DUBBO_BENCH_ARGS)
