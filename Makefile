# Sidewire developer targets. `make run` and `make test` are the two
# commands the README promises a newcomer.
GO        ?= go
BIN       ?= bin/sidewire
FUZZTIME  ?= 4s
export GOFLAGS ?= -mod=mod

.PHONY: all build run test vet unit fuzz bench clean

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

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./bench/cmd/loadtest -sidewire $(BIN)

clean:
	rm -rf bin
