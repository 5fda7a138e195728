// Command provider serves org.sidewire.interop.Greeter with dubbo-go over
// the "dubbo" protocol (hessian2) on one loopback port, without a
// registry. Consumers reach it by direct URL.
//
//	provider -port 20880 -version v1 [-group g] [-service-versions v1,] [-groups g,]
//
// Replies carry the -version label so a caller can tell which provider
// served a call. It prints "ready <addr>" on stdout once it serves, and
// stops on SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/dubbolog"
	"github.com/sidewire/sidewire/interop/dubbo/greeter"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "provider:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		host     = flag.String("host", "127.0.0.1", "address to listen on")
		port     = flag.Int("port", 20880, "port to listen on")
		version  = flag.String("version", "v1", "provider version: the label replies carry and, unless -service-versions is set, the Dubbo service version exported (besides the unversioned key)")
		group    = flag.String("group", "", "Dubbo service group exported (unless -groups is set)")
		versions = flag.String("service-versions", "", "comma-separated Dubbo service versions to export; an empty item is the unversioned key (default \"<version>,\")")
		groups   = flag.String("groups", "", "comma-separated Dubbo service groups to export; an empty item is no group (default \"<group>\")")
		logLevel = flag.String("log-level", "warn", "dubbo-go log level: debug, info, warn or error")
	)
	flag.Parse()
	if err := dubbolog.SetLevel(*logLevel); err != nil {
		return err
	}
	cfg := greeter.ProviderConfig{
		Host:     *host,
		Port:     *port,
		Label:    *version,
		Versions: []string{*version, ""},
		Groups:   []string{*group},
	}
	if *versions != "" {
		cfg.Versions = strings.Split(*versions, ",")
	}
	if *groups != "" {
		cfg.Groups = strings.Split(*groups, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- greeter.Serve(ctx, cfg, greeter.NewService(*version)) }()
	addr := net.JoinHostPort(*host, strconv.Itoa(*port))
	if err := waitListening(ctx, addr, errc); err != nil {
		return err
	}
	fmt.Println("ready", addr)
	return <-errc
}

// waitListening polls addr until it accepts a connection, Serve fails, or
// ctx ends.
func waitListening(ctx context.Context, addr string, errc <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for %s: %w", addr, err)
		}
		select {
		case err := <-errc:
			if err == nil {
				err = fmt.Errorf("provider stopped before listening on %s", addr)
			}
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
