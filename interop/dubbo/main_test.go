package dubbo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sidewire/sidewire/interop/dubbo/dubbolog"
	"github.com/sidewire/sidewire/interop/internal/harness"
)

// bins are the programs TestMain builds. A build failure does not stop
// the run: each test that needs the program fails with the reason.
var bins struct {
	dir                      string
	provider, consumer, load string
	providerErr, consumerErr error
	loadErr                  error
	sidewire                 string
	sidewireErr              error
	race                     bool
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if err := dubbolog.SetLevel("fatal"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "sidewire-dubbo-interop")
	if err != nil {
		fmt.Fprintln(os.Stderr, "make temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins.dir = dir
	bins.race = os.Getenv("SIDEWIRE_INTEROP_RACE") != "0"
	build()
	defer stopShared()
	return m.Run()
}

// build compiles the provider, the consumer and load commands and
// sidewire in parallel.
func build() {
	root, err := harness.FindModule(".", "github.com/sidewire/sidewire/interop")
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		bins.provider, bins.providerErr = buildPeer(root, err, "provider")
	}()
	go func() {
		defer wg.Done()
		bins.consumer, bins.consumerErr = buildPeer(root, err, "consumer")
	}()
	go func() {
		defer wg.Done()
		bins.load, bins.loadErr = buildPeer(root, err, "dubboload")
	}()
	go func() {
		defer wg.Done()
		bins.sidewire, bins.sidewireErr = harness.SidewireBinary(".", bins.dir, bins.race)
	}()
	wg.Wait()
}

func buildPeer(root string, rootErr error, name string) (string, error) {
	if rootErr != nil {
		return "", rootErr
	}
	out := filepath.Join(bins.dir, name)
	return out, harness.Build(root, "./dubbo/cmd/"+name, out)
}

// needProvider fails the test when the provider did not build.
func needProvider(t *testing.T) string {
	t.Helper()
	if bins.providerErr != nil {
		t.Fatalf("the dubbo-go provider (interop/dubbo/cmd/provider) did not build; "+
			"it needs dubbo.apache.org/dubbo-go/v3 v3.3.2 from the module proxy "+
			"(cd interop && GOFLAGS=-mod=mod go mod download): %v", bins.providerErr)
	}
	return bins.provider
}

// needSidewire fails the test when sidewire did not build.
func needSidewire(t *testing.T) string {
	t.Helper()
	if bins.sidewireErr != nil {
		t.Fatalf("the sidewire binary is unavailable (go build ./cmd/sidewire in the main module, "+
			"or set SIDEWIRE_BIN); the dubbo_proxy runtime lives in proxy/dubboproxy and xds/dubbo.go: %v",
			bins.sidewireErr)
	}
	return bins.sidewire
}
