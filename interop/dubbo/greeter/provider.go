package greeter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/global"
	_ "dubbo.apache.org/dubbo-go/v3/imports" // registers the dubbo protocol, hessian2, filters
	"dubbo.apache.org/dubbo-go/v3/protocol"
	"dubbo.apache.org/dubbo-go/v3/server"
)

// ProviderConfig says where and under which service keys a provider
// serves the Greeter.
type ProviderConfig struct {
	// Host and Port are the address the dubbo protocol listens on.
	Host string
	Port int
	// Label starts every string reply (the provider's version, "v1").
	Label string
	// Versions and Groups are the Dubbo service versions and groups the
	// service is exported under, every combination; "" is the
	// unversioned (ungrouped) key. Empty lists mean {""}.
	Versions []string
	Groups   []string
}

func (c ProviderConfig) validate() error {
	switch {
	case c.Port <= 0 || c.Port > 65535:
		return fmt.Errorf("validate provider: port %d out of range", c.Port)
	case c.Label == "":
		return errors.New("validate provider: empty label")
	case strings.Contains(c.Label, "|"):
		return fmt.Errorf("validate provider: label %q contains '|'", c.Label)
	}
	return nil
}

// Export is one service key of a Service. dubbo-go keys registered
// handlers by their Reference(), so each version/group pair needs its own
// (and it only serves exported types).
type Export struct {
	*Service
	ref string
}

var _ common.ReferencedRPCService = (*Export)(nil)

// Reference implements dubbo-go's ReferencedRPCService.
func (e *Export) Reference() string { return e.ref }

// Serve runs a dubbo-go provider of svc until ctx is done. dubbo-go keeps
// process-wide state: run one provider per process.
func Serve(ctx context.Context, cfg ProviderConfig, svc *Service) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	host := cfg.Host
	if host == "" {
		host = "127.0.0.1"
	}
	app := global.DefaultApplicationConfig()
	app.Name = "sidewire-interop-greeter"
	// The local metadata service would be exported on the protocol port
	// bound to every interface, clashing with the loopback listener; with
	// no registry there is nothing to report, so use "remote" (none).
	app.MetadataType = constant.RemoteMetadataStorageType
	srv, err := server.NewServer(
		server.SetServerApplication(app),
		server.WithServerProtocol(
			protocol.WithDubbo(),
			protocol.WithIp(host),
			protocol.WithPort(cfg.Port),
		),
	)
	if err != nil {
		return fmt.Errorf("create provider: %w", err)
	}
	for _, group := range orEmpty(cfg.Groups) {
		for _, version := range orEmpty(cfg.Versions) {
			e := &Export{Service: svc, ref: "Greeter/" + group + "/" + version}
			err := srv.Register(e, nil,
				server.WithInterface(Interface),
				server.WithGroup(group),
				server.WithVersion(version),
				server.WithNotRegister(),
			)
			if err != nil {
				return fmt.Errorf("register greeter group %q version %q: %w", group, version, err)
			}
		}
	}
	if err := srv.ServeContext(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("serve provider: %w", err)
	}
	return nil
}

func orEmpty(s []string) []string {
	if len(s) == 0 {
		return []string{""}
	}
	return s
}
