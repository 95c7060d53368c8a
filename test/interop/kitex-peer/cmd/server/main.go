// Command server is the Kitex (Go) reference TestService of the interop suite.
//
// Behaviour: /work/shared/spec/echo-service.md, plus the test-only extensions documented in
// test/interop/README.md (x-metainfo, x-echo-initial / x-echo-trailing, interval-ms, event log).
//
// stdout protocol (one line each):
//
//	LISTENING <addr>                     once, when the listener is up
//	{"event":"stream_start",...}         when a streaming handler starts
//	{"event":"stream_end",...}           when a streaming handler returns (what it observed)
//	{"event":"unary_end",...}            when a unary/oneway handler returns (unary.go)
//	{"event":"shutdown",...}             after Stop() returned
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/remote/trans/ttstream"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/streaming"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/server"

	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo"
	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo/testservice"
)

// ---------------------------------------------------------------------------------------------
// event log

var outMu sync.Mutex

// eventsOn is -events: false silences stream_start/stream_end (for the benchmark).
var eventsOn = true

func emit(v map[string]any) {
	if !eventsOn && v["event"] != "shutdown" {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"event":"marshal_error","err":%q}`, err.Error()))
	}
	outMu.Lock()
	defer outMu.Unlock()
	_, _ = os.Stdout.Write(append(b, '\n'))
}

func nowMs() int64 { return time.Now().UnixMilli() }

// ---------------------------------------------------------------------------------------------
// client HEADER capture (string keys the Kitex handler API does not expose)

type rawHeaderKey struct{}

type headerCapture struct{}

func (headerCapture) OnReadStream(ctx context.Context, ihd ttstream.IntHeader, shd ttstream.StrHeader) (context.Context, error) {
	cp := make(map[string]string, len(shd))
	for k, v := range shd {
		cp[k] = v
	}
	return context.WithValue(ctx, rawHeaderKey{}, cp), nil
}

func rawHeader(ctx context.Context) map[string]string {
	m, _ := ctx.Value(rawHeaderKey{}).(map[string]string)
	return m
}

// ---------------------------------------------------------------------------------------------
// per-stream bookkeeping shared by all handlers

type streamState struct {
	method  string
	start   time.Time
	sent    int
	recv    int
	recvErr string // first non-EOF error seen by Recv
	sendErr string // first error seen by Send
	downErr string // -forward-to only: the error of the downstream stream
	mu      sync.Mutex
	ctx     context.Context
	st      streaming.ServerStream
}

type serverStream interface {
	SetHeader(hd streaming.Header) error
	SetTrailer(hd streaming.Trailer) error
}

func begin(ctx context.Context, method string, st serverStream) *streamState {
	s := &streamState{method: method, start: time.Now(), ctx: ctx}
	hd := streaming.Header{"x-handler": "TestService." + method}
	tr := map[string]string{}
	if mi := metainfoJSON(ctx); mi != "" {
		hd["x-metainfo"] = mi
	}
	if raw := rawHeader(ctx); raw != nil {
		if v, ok := raw["x-echo-initial"]; ok {
			hd["x-echo-initial"] = v
		}
		if v, ok := raw["x-echo-trailing"]; ok {
			tr["x-echo-trailing"] = v
		}
	}
	_ = st.SetHeader(hd)
	if len(tr) > 0 {
		_ = st.SetTrailer(tr)
	}
	emit(map[string]any{"event": "stream_start", "t_ms": nowMs(), "method": method})
	return s
}

// finish sets x-sent and logs what the handler observed. It returns err unchanged.
func (s *streamState) finish(st serverStream, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = st.SetTrailer(streaming.Trailer{"x-sent": strconv.Itoa(s.sent)})
	ev := map[string]any{
		"event":       "stream_end",
		"t_ms":        nowMs(),
		"method":      s.method,
		"duration_ms": time.Since(s.start).Milliseconds(),
		"sent":        s.sent,
		"recv":        s.recv,
		"recv_err":    s.recvErr,
		"send_err":    s.sendErr,
		"err":         errText(err),
		"ctx_err":     errText(s.ctx.Err()),
	}
	if s.downErr != "" {
		ev["downstream_err"] = s.downErr
	}
	observed := firstNonEmpty(s.recvErr, s.sendErr, errText(s.ctx.Err()))
	ev["observed"] = observed
	ev["canceled"] = isCanceled(s.ctx.Err()) || strings.Contains(observed, "canceled path") ||
		isCanceledText(observed)
	ev["ctx_err_is_canceled"] = isCanceled(s.ctx.Err())
	ev["ctx_err_is_timeout"] = s.ctx.Err() != nil && errors.Is(s.ctx.Err(), kerrors.ErrStreamingTimeout)
	if code, ok := typeID(s.ctx.Err()); ok {
		ev["ctx_err_code"] = code
	}
	emit(ev)
	return err
}

func (s *streamState) sentAdd() {
	s.mu.Lock()
	s.sent++
	s.mu.Unlock()
}

func (s *streamState) noteRecvErr(err error) {
	if err != nil && err != io.EOF && s.recvErr == "" {
		s.recvErr = err.Error()
	}
}

func (s *streamState) noteSendErr(err error) {
	if err != nil && s.sendErr == "" {
		s.sendErr = err.Error()
	}
}

func isCanceled(err error) bool {
	return err != nil && errors.Is(err, kerrors.ErrStreamingCanceled)
}

func isCanceledText(s string) bool {
	return strings.Contains(s, "code=12007") || strings.Contains(s, "code=12010") ||
		strings.Contains(s, "canceled by")
}

func typeID(err error) (int32, bool) {
	var t interface{ TypeId() int32 }
	if err != nil && errors.As(err, &t) {
		return t.TypeId(), true
	}
	return 0, false
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func metainfoJSON(ctx context.Context) string {
	tr := metainfo.GetAllValues(ctx)
	ps := metainfo.GetAllPersistentValues(ctx)
	if len(tr) == 0 && len(ps) == 0 {
		return ""
	}
	if tr == nil {
		tr = map[string]string{}
	}
	if ps == nil {
		ps = map[string]string{}
	}
	b, _ := json.Marshal(map[string]any{"transient": tr, "persistent": ps})
	return string(b)
}

// interval returns the pause before each server-streaming response, from the transient
// metainfo key "interval-ms" (RPC_TRANSIT_interval-ms on the wire). 0 when absent.
func interval(ctx context.Context) time.Duration {
	v, ok := metainfo.GetValue(ctx, "interval-ms")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0
	}
	if n > 60000 {
		n = 60000
	}
	return time.Duration(n) * time.Millisecond
}

// sleepCtx waits d or until ctx is done; returns ctx.Err() in the latter case.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ---------------------------------------------------------------------------------------------
// TestService

type handler struct {
	// downstream is set by -forward-to: Echo then relays every request to the Echo method of
	// another TestService server through a Kitex client stream opened with the handler's ctx,
	// so that cancellation cascades (the cancel-path tests: A -> this server (B) -> C).
	downstream testservice.Client
}

// forwardEcho relays the upstream bidi stream to a downstream Echo stream and back.
// Responses are the downstream's responses, unchanged.
func (h *handler) forwardEcho(ctx context.Context, s *streamState, stream echo.TestService_EchoServer) error {
	ds, err := h.downstream.Echo(ctx)
	if err != nil {
		s.downErr = err.Error()
		return err
	}
	relayDone := make(chan error, 1)
	go func() {
		for {
			resp, rerr := ds.Recv(ctx)
			if rerr == io.EOF {
				relayDone <- nil
				return
			}
			if rerr != nil {
				relayDone <- rerr
				return
			}
			if serr := stream.Send(ctx, resp); serr != nil {
				relayDone <- serr
				return
			}
			s.sentAdd()
		}
	}()
	for {
		req, rerr := stream.Recv(ctx)
		if rerr == io.EOF {
			_ = ds.CloseSend(ctx)
			break
		}
		if rerr != nil {
			s.noteRecvErr(rerr)
			// give the downstream stream a moment to notice the canceled ctx and report it
			select {
			case derr := <-relayDone:
				if derr != nil {
					s.downErr = derr.Error()
				}
			case <-time.After(2 * time.Second):
			}
			return rerr
		}
		s.recv++
		if serr := ds.Send(ctx, req); serr != nil {
			s.downErr = serr.Error()
			return serr
		}
	}
	select {
	case derr := <-relayDone:
		if derr != nil {
			s.downErr = derr.Error()
		}
		return derr
	case <-time.After(30 * time.Second):
		return errors.New("forwardEcho: downstream did not finish within 30s")
	}
}

var _ echo.TestService = (*handler)(nil)

func (h *handler) Echo(ctx context.Context, stream echo.TestService_EchoServer) (err error) {
	s := begin(ctx, "Echo", stream)
	defer func() { err = s.finish(stream, err) }()
	if h.downstream != nil {
		return h.forwardEcho(ctx, s, stream)
	}
	for {
		req, rerr := stream.Recv(ctx)
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			s.noteRecvErr(rerr)
			return rerr
		}
		s.recv++
		n := s.recv - 1
		if serr := stream.Send(ctx, &echo.Response{Message: req.Message, Index: int32(n)}); serr != nil {
			s.noteSendErr(serr)
			return serr
		}
		s.sent++
	}
}

func (*handler) EchoClient(ctx context.Context, stream echo.TestService_EchoClientServer) (err error) {
	s := begin(ctx, "EchoClient", stream)
	defer func() { err = s.finish(stream, err) }()
	var msgs []string
	for {
		req, rerr := stream.Recv(ctx)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			s.noteRecvErr(rerr)
			return rerr
		}
		s.recv++
		msgs = append(msgs, req.Message)
	}
	if werr := sleepCtx(ctx, interval(ctx)); werr != nil {
		s.noteRecvErr(werr)
		return werr
	}
	resp := &echo.Response{Message: strings.Join(msgs, ","), Index: int32(len(msgs))}
	if serr := stream.SendAndClose(ctx, resp); serr != nil {
		s.noteSendErr(serr)
		return serr
	}
	s.sent++
	return nil
}

func (*handler) EchoServer(ctx context.Context, req *echo.Request, stream echo.TestService_EchoServerServer) (err error) {
	s := begin(ctx, "EchoServer", stream)
	s.recv = 1
	defer func() { err = s.finish(stream, err) }()
	gap := interval(ctx)
	for i := int32(0); i < req.Count; i++ {
		if werr := sleepCtx(ctx, gap); werr != nil {
			s.noteRecvErr(werr)
			return werr
		}
		if serr := stream.Send(ctx, &echo.Response{Message: req.Message, Index: i}); serr != nil {
			s.noteSendErr(serr)
			return serr
		}
		s.sent++
	}
	return nil
}

func (*handler) ServerStreamWithErr(ctx context.Context, req *echo.Request, stream echo.TestService_ServerStreamWithErrServer) (err error) {
	s := begin(ctx, "ServerStreamWithErr", stream)
	s.recv = 1
	defer func() { err = s.finish(stream, err) }()
	if req.Message == "test error" {
		return errors.New("test error")
	}
	gap := interval(ctx)
	balance := req.Count
	for i := int32(0); balance > 0; i++ {
		if werr := sleepCtx(ctx, gap); werr != nil {
			s.noteRecvErr(werr)
			return werr
		}
		if serr := stream.Send(ctx, &echo.Response{Message: "token-" + strconv.Itoa(int(i)), Index: i}); serr != nil {
			s.noteSendErr(serr)
			return serr
		}
		s.sent++
		balance--
	}
	return kerrors.NewBizStatusErrorWithExtra(10001, "insufficient user balance", map[string]string{"testKey": "testVal"})
}

// ---------------------------------------------------------------------------------------------

func defaultAddr() string {
	host, port := os.Getenv("TTSTREAM_HOST"), os.Getenv("TTSTREAM_PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "8888"
	}
	return net.JoinHostPort(host, port)
}

func main() {
	addrFlag := flag.String("addr", defaultAddr(), "listen address host:port (port 0 = any free port); default from TTSTREAM_HOST/TTSTREAM_PORT or 127.0.0.1:8888")
	exitWait := flag.Duration("exit-wait", 1*time.Second, "server.WithExitWaitTime: grace period on SIGTERM/SIGINT")
	forwardTo := flag.String("forward-to", "", "cascade mode: Echo relays to the Echo of the TestService at this address (see README)")
	serviceName := flag.String("service-name", "", "with -forward-to: this server's service name, used by its downstream client (shows up in ttscp)")
	drainLog := flag.Duration("drain-log", 1200*time.Millisecond, "after Stop returns, wait this long so handlers can log their stream_end before the process exits")
	quiet := flag.Bool("quiet", true, "silence Kitex's own log (klog) below error level")
	flag.BoolVar(&eventsOn, "events", true, "write the stream_start/stream_end/unary_end event log (false for benchmarks)")
	ttheaderMeta := flag.Bool("ttheader-meta", true, "server.WithMetaHandler(transmeta.ServerTTHeaderHandler): business errors as biz-* keys, int key 12 read (false = Kitex's bare default)")
	mux := flag.Bool("mux", false, "server.WithMuxTransport(): several unary calls in flight per connection (TTHeader)")
	ctxTimeout := flag.Bool("ctx-timeout", false, "server.WithEnableContextTimeout(true): the client's RPC timeout (int key 12) becomes the handler ctx deadline")
	flag.Parse()

	if *quiet {
		klog.SetLevel(klog.LevelError)
	}
	klog.SetOutput(os.Stderr)

	// Listen ourselves so that port 0 works and LISTENING names the real port.
	ln, err := net.Listen("tcp", *addrFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "listen %s: %v\n", *addrFlag, err)
		os.Exit(2)
	}
	addr := ln.Addr().String()

	sigCh := make(chan os.Signal, 1)
	signal.Notify(sigCh, syscall.SIGTERM, syscall.SIGINT)
	exitCh := make(chan error, 1)

	h := &handler{}
	if *forwardTo != "" {
		copts := []client.Option{
			client.WithHostPorts(*forwardTo),
			client.WithTTHeaderStreamingOptions(client.WithTTHeaderStreamingTransportOptions(
				ttstream.WithClientMuxConnPool(ttstream.MuxConnConfig{PoolSize: 1, MaxIdleTimeout: time.Minute}))),
		}
		if *serviceName != "" {
			copts = append(copts, client.WithClientBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: *serviceName}))
		}
		ds, cerr := testservice.NewClient("echo", copts...)
		if cerr != nil {
			fmt.Fprintf(os.Stderr, "downstream client: %v\n", cerr)
			os.Exit(2)
		}
		h.downstream = ds
	}
	sopts := []server.Option{}
	if *ttheaderMeta {
		sopts = append(sopts, server.WithMetaHandler(transmeta.ServerTTHeaderHandler))
	}
	if *mux {
		sopts = append(sopts, server.WithMuxTransport())
	}
	if *ctxTimeout {
		sopts = append(sopts, server.WithEnableContextTimeout(true))
	}
	eopts, err := etcdServerOptions()
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd registry: %v\n", err)
		os.Exit(2)
	}
	sopts = append(sopts, eopts...)
	otelName := *serviceName
	if otelName == "" {
		otelName = "echo"
	}
	oopts, otelStop, err := otelServerOptions(otelName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer otelStop()
	sopts = append(sopts, oopts...)
	svr := testservice.NewServer(h, append(sopts,
		server.WithListener(ln),
		server.WithExitWaitTime(*exitWait),
		server.WithExitSignal(func() <-chan error { return exitCh }),
		server.WithTTHeaderStreamingOptions(server.WithTTHeaderStreamingTransportOptions(
			ttstream.WithServerHeaderFrameHandler(headerCapture{}),
		)),
	)...)

	// The listener already exists (connections made now wait in its backlog); announce it
	// once Kitex has started serving, from a start hook.
	server.RegisterStartHook(func() {
		outMu.Lock()
		fmt.Fprintf(os.Stdout, "LISTENING %s\n", addr)
		outMu.Unlock()
	})
	runErr := make(chan error, 1)
	go func() { runErr <- svr.Run() }()

	select {
	case sig := <-sigCh:
		start := time.Now()
		exitCh <- nil
		var e error
		select {
		case e = <-runErr:
		case <-time.After(*exitWait + 10*time.Second):
			e = errors.New("Stop did not return in time")
		}
		stopMs := time.Since(start).Milliseconds()
		// let handlers whose connections were just closed log their stream_end (bounded)
		time.Sleep(*drainLog)
		emit(map[string]any{"event": "shutdown", "t_ms": nowMs(), "signal": sig.String(), "stop_ms": stopMs, "err": errText(e)})
	case e := <-runErr:
		emit(map[string]any{"event": "shutdown", "t_ms": nowMs(), "err": errText(e)})
		if e != nil {
			otelStop()
			os.Exit(1)
		}
	}
}
