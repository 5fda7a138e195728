package filter_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/lenframe/peer"
	"github.com/sidewire/sidewire/internal/proxytest"
	"github.com/sidewire/sidewire/proxy/filter"
	"github.com/sidewire/sidewire/proxy/session"
)

// trace returns a middleware that logs its name before and after next.
func trace(name string, log *[]string) filter.Middleware {
	return func(next filter.Handler) filter.Handler {
		return filter.HandlerFunc(func(ctx context.Context, st *session.Stream) error {
			*log = append(*log, name+">")
			err := next.Serve(ctx, st)
			*log = append(*log, "<"+name)
			return err
		})
	}
}

func TestChainOrder(t *testing.T) {
	var log []string
	terminal := filter.HandlerFunc(func(context.Context, *session.Stream) error {
		log = append(log, "router")
		return nil
	})
	h := filter.Chain(terminal, trace("a", &log), nil, trace("b", &log))
	if err := h.Serve(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"a>", "b>", "router", "<b", "<a"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("ran %v, want %v", log, want)
	}
	if filter.Chain(terminal) == nil {
		t.Fatalf("a chain without middlewares is nil")
	}
}

func TestChainShortCircuitAndErrors(t *testing.T) {
	errDenied := errors.New("denied")
	deny := func(next filter.Handler) filter.Handler {
		return filter.HandlerFunc(func(context.Context, *session.Stream) error { return errDenied })
	}
	reached := false
	terminal := filter.HandlerFunc(func(context.Context, *session.Stream) error { reached = true; return nil })
	if err := filter.Chain(terminal, deny).Serve(context.Background(), nil); !errors.Is(err, errDenied) {
		t.Fatalf("Serve = %v, want the middleware's error", err)
	}
	if reached {
		t.Fatalf("the terminal handler ran behind a middleware that answered")
	}
}

// A chain serves real sessions: a middleware answers some requests
// itself with the protocol's error reply, and observes the answers of
// the others after the terminal handler ran.
func TestChainAsSessionHandler(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	rbac := func(next filter.Handler) filter.Handler {
		return filter.HandlerFunc(func(ctx context.Context, st *session.Stream) error {
			if string(st.Request.Attrs.Method) == "DEL" {
				return &codecs.ReplyError{Status: codecs.StatusDenied, Err: errors.New("rbac: DEL denied")}
			}
			return next.Serve(ctx, st)
		})
	}
	observed := make(chan bool, 10)
	stats := func(next filter.Handler) filter.Handler {
		return filter.HandlerFunc(func(ctx context.Context, st *session.Stream) error {
			err := next.Serve(ctx, st)
			observed <- st.Answered()
			return err
		})
	}
	router := filter.HandlerFunc(func(_ context.Context, st *session.Stream) error {
		st.Reply(fl.AppendResponse(nil, st.Request.ID, codecs.StatusOK, peer.Answer("GET", "k", "", 0)))
		return nil
	})
	var h session.Handler = filter.Chain(router, rbac, stats)
	f := proxytest.Serve(t, session.Config{Codec: lenframe.New(fl), Handler: h})
	cl, err := peer.Dial(f.Addr(), fl)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	r, err := cl.Call("DEL", "k", "", 1, 5*time.Second)
	if err != nil || len(r) != 1 || r[0].Status != codecs.StatusDenied || r[0].Body != "rbac: DEL denied" {
		t.Fatalf("denied call: %+v, %v", r, err)
	}
	r, err = cl.Call("GET", "k", "", 1, 5*time.Second)
	if err != nil || len(r) != 1 || r[0].Body != peer.Answer("GET", "k", "", 0) {
		t.Fatalf("allowed call: %+v, %v", r, err)
	}
	if !<-observed {
		t.Fatalf("stats middleware saw no answer after the router ran")
	}
}
