package consumer

import (
	"context"
	"fmt"
	"net"
	"time"

	"dubbo.apache.org/dubbo-go/v3/client"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	_ "dubbo.apache.org/dubbo-go/v3/imports" // registers the dubbo protocol, hessian2, filters

	"github.com/sidewire/sidewire/interop/dubbo/greeter"
)

// DefaultTimeout bounds a call when Options.Timeout is zero.
const DefaultTimeout = 3 * time.Second

// Options say where a Client sends its calls and how.
type Options struct {
	// Address is the provider (or proxy) host:port.
	Address string
	// Version and Group are the Dubbo service version and group the
	// requests carry.
	Version string
	Group   string
	// Timeout bounds each call; dubbo-go also sends it to the peer as the
	// "timeout" attachment (milliseconds).
	Timeout time.Duration
}

// Client is a dubbo-go consumer of the Greeter at one address. It never
// retries a call (failfast): an error is what the peer or the transport
// gave. Safe for concurrent use.
type Client struct {
	opts Options
	conn *client.Connection
}

// Dial prepares a consumer of the Greeter at opts.Address. Connections are
// made on the first call.
func Dial(opts Options) (*Client, error) {
	if _, _, err := net.SplitHostPort(opts.Address); err != nil {
		return nil, fmt.Errorf("dial greeter: address %q: %w", opts.Address, err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	cli, err := client.NewClient(client.WithClientProtocolDubbo())
	if err != nil {
		return nil, fmt.Errorf("dial greeter: new client: %w", err)
	}
	conn, err := cli.Dial(greeter.Interface,
		client.WithURL("dubbo://"+opts.Address),
		client.WithVersion(opts.Version),
		client.WithGroup(opts.Group),
		client.WithClusterFailFast(),
		client.WithRetries(0),
		client.WithRequestTimeout(opts.Timeout),
	)
	if err != nil {
		return nil, fmt.Errorf("dial greeter at %s: %w", opts.Address, err)
	}
	return &Client{opts: opts, conn: conn}, nil
}

// Options returns the options the client was dialed with (defaults
// filled in).
func (c *Client) Options() Options { return c.opts }

// Call invokes method with args and decodes the reply into reply (a
// pointer). attachments (may be nil) travel with the request.
func (c *Client) Call(ctx context.Context, method string, args []any, reply any, attachments map[string]string) error {
	if len(attachments) > 0 {
		att := make(map[string]any, len(attachments))
		for k, v := range attachments {
			att[k] = v
		}
		ctx = context.WithValue(ctx, constant.AttachmentKey, att)
	}
	err := c.conn.CallUnary(ctx, args, reply, method,
		client.WithCallRequestTimeout(c.opts.Timeout),
		client.WithCallRetries(0))
	if err != nil {
		return &CallError{Method: method, Address: c.opts.Address, Err: err}
	}
	return nil
}

// Greet calls Greet(name) and returns the serving provider's label and
// the greeting.
func (c *Client) Greet(ctx context.Context, name string, attachments map[string]string) (label, text string, err error) {
	return c.labelled(ctx, greeter.MethodGreet, []any{name}, attachments)
}

// Sleep calls Sleep(ms).
func (c *Client) Sleep(ctx context.Context, ms int64, attachments map[string]string) (label, text string, err error) {
	return c.labelled(ctx, greeter.MethodSleep, []any{ms}, attachments)
}

// Attachment calls Attachment(key): the value of attachment key as the
// provider received it.
func (c *Client) Attachment(ctx context.Context, key string, attachments map[string]string) (label, value string, err error) {
	return c.labelled(ctx, greeter.MethodAttachment, []any{key}, attachments)
}

// Fail calls Fail(), which always raises a business exception.
func (c *Client) Fail(ctx context.Context, attachments map[string]string) error {
	_, _, err := c.labelled(ctx, greeter.MethodFail, nil, attachments)
	return err
}

// Add calls Add(a, b).
func (c *Client) Add(ctx context.Context, a, b int64, attachments map[string]string) (int64, error) {
	var sum int64
	err := c.Call(ctx, greeter.MethodAdd, []any{a, b}, &sum, attachments)
	return sum, err
}

// Count asks the provider how many calls of method it served.
func (c *Client) Count(ctx context.Context, method string) (int64, error) {
	var n int64
	err := c.Call(ctx, greeter.MethodCount, []any{method}, &n, nil)
	return n, err
}

func (c *Client) labelled(ctx context.Context, method string, args []any, attachments map[string]string) (string, string, error) {
	var reply string
	if err := c.Call(ctx, method, args, &reply, attachments); err != nil {
		return "", "", err
	}
	label, text, err := greeter.SplitReply(reply)
	if err != nil {
		return "", "", &CallError{Method: method, Address: c.opts.Address, Err: err}
	}
	return label, text, nil
}

// CallError is a failed call.
type CallError struct {
	Method  string
	Address string
	Err     error
}

var _ error = (*CallError)(nil)

func (e *CallError) Error() string {
	return fmt.Sprintf("call %s at %s: %v", e.Method, e.Address, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }
