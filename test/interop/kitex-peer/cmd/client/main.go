// Command client runs named TestService scenarios with a real Kitex client against -addr and
// prints one JSON verdict per scenario on stdout. See test/interop/README.md for the list of
// scenarios and the verdict format.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	gopkgthrift "github.com/cloudwego/gopkg/protocol/thrift"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/remote/trans/ttstream"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	kitex "github.com/cloudwego/kitex/pkg/serviceinfo"
	"github.com/cloudwego/kitex/pkg/streaming"
	"github.com/cloudwego/kitex/transport"

	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo"
	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo/testservice"
)

// ---------------------------------------------------------------------------------------------
// verdict

type BizInfo struct {
	Code    int32             `json:"code"`
	Message string            `json:"message"`
	Extra   map[string]string `json:"extra"`
}

type AppExInfo struct {
	TypeID  int32  `json:"type_id"`
	Message string `json:"message"`
}

type ErrInfo struct {
	Text     string     `json:"text"`
	GoType   string     `json:"go_type"`
	Code     *int32     `json:"code"` // TypeId() of a ttstream *Exception, if the error is one
	Canceled bool       `json:"is_canceled"`
	Timeout  bool       `json:"is_timeout"`
	Protocol bool       `json:"is_protocol"`
	EOF      bool       `json:"is_eof"`
	Biz      *BizInfo   `json:"biz"`
	AppEx    *AppExInfo `json:"app_exception"`
	// unary scenarios only (unary.go)
	Declared   *DeclaredInfo `json:"declared,omitempty"` // *echo.EchoException via errors.As
	Kerrors    []string      `json:"kerrors,omitempty"`  // kerrors basic errors it Is (rpc_timeout, remote_or_network, ...)
	Chain      []string      `json:"chain,omitempty"`    // Go types along errors.Unwrap
	AtMs       int64         `json:"at_ms"`              // ms since scenario start
	FromCall   string        `json:"from"`               // which call returned it (open, send, recv, close_and_recv, ...)
	ElapsedCal int64         `json:"call_ms"`
}

type Msg struct {
	Message string `json:"message"`
	Index   int32  `json:"index"`
}

type Verdict struct {
	Scenario  string            `json:"scenario"`
	Method    string            `json:"method"`
	Pool      string            `json:"pool"`
	Transport string            `json:"transport,omitempty"` // unary scenarios: the -transport shape
	Service   string            `json:"service_name"`
	OK        bool              `json:"ok"`
	Expect    string            `json:"expect"`
	Problems  []string          `json:"problems"`
	Sent      []Msg             `json:"sent"`     // requests sent (message, count as index)
	Received  []Msg             `json:"received"` // responses received, in order
	Header    map[string]string `json:"header"`
	HeaderErr *ErrInfo          `json:"header_err"`
	Trailer   map[string]string `json:"trailer"`
	TrailerEr *ErrInfo          `json:"trailer_err"`
	Error     *ErrInfo          `json:"error"` // the terminal error of the stream (nil = clean EOF)
	Extra     map[string]any    `json:"extra,omitempty"`
	StartMs   int64             `json:"start_unix_ms"`
	ElapsedMs int64             `json:"elapsed_ms"`
	CancelMs  *int64            `json:"cancel_at_ms,omitempty"` // ms since start when cancel() ran
	CancelAt  *int64            `json:"cancel_unix_ms,omitempty"`
}

func (v *Verdict) fail(format string, a ...any) {
	v.Problems = append(v.Problems, fmt.Sprintf(format, a...))
}

func (v *Verdict) since() int64 { return time.Now().UnixMilli() - v.StartMs }

func (v *Verdict) errInfo(err error, from string, callStart time.Time) *ErrInfo {
	if err == nil {
		return nil
	}
	ei := &ErrInfo{
		Text:       err.Error(),
		GoType:     fmt.Sprintf("%T", err),
		Canceled:   errors.Is(err, kerrors.ErrStreamingCanceled),
		Timeout:    errors.Is(err, kerrors.ErrStreamingTimeout),
		Protocol:   errors.Is(err, kerrors.ErrStreamingProtocol),
		EOF:        err == io.EOF,
		AtMs:       v.since(),
		FromCall:   from,
		ElapsedCal: time.Since(callStart).Milliseconds(),
	}
	var ex *ttstream.Exception
	if errors.As(err, &ex) {
		c := ex.TypeId()
		ei.Code = &c
	} else {
		var t interface{ TypeId() int32 }
		if errors.As(err, &t) {
			c := t.TypeId()
			ei.Code = &c
		}
	}
	if be, ok := kerrors.FromBizStatusError(err); ok {
		ei.Biz = &BizInfo{Code: be.BizStatusCode(), Message: be.BizMessage(), Extra: be.BizExtra()}
	}
	var ae *gopkgthrift.ApplicationException
	if errors.As(err, &ae) {
		ei.AppEx = &AppExInfo{TypeID: ae.TypeId(), Message: ae.Msg()}
	}
	return ei
}

func (v *Verdict) recordHeader(st interface {
	Header() (streaming.Header, error)
}) {
	t := time.Now()
	h, err := st.Header()
	v.Header = h
	v.HeaderErr = v.errInfo(err, "header", t)
}

func (v *Verdict) recordTrailer(st interface {
	Trailer() (streaming.Trailer, error)
}) {
	t := time.Now()
	tr, err := st.Trailer()
	v.Trailer = tr
	v.TrailerEr = v.errInfo(err, "trailer", t)
}

// ---------------------------------------------------------------------------------------------
// options and clients

type opts struct {
	addr         string
	pool         string
	serviceName  string
	recvTimeout  time.Duration
	noCancelRmt  bool
	timeout      time.Duration
	count        int
	concurrency  int
	linger       time.Duration
	guard        time.Duration
	message      string
	intervalMs   int
	cancelWaitMs int
	recvDelay    time.Duration
	strictBiz    bool
	idleTimeout  time.Duration
	idleWait     time.Duration
}

var o opts

type ctxHeadersKey struct{}

// headerWriter adds the string keys stored in ctx (withCustomHeaders) to the client HEADER frame.
type headerWriter struct{}

func (headerWriter) OnWriteStream(ctx context.Context) (ttstream.IntHeader, ttstream.StrHeader, error) {
	m, _ := ctx.Value(ctxHeadersKey{}).(map[string]string)
	if len(m) == 0 {
		return nil, nil, nil
	}
	sh := ttstream.StrHeader{}
	for k, v := range m {
		sh[k] = v
	}
	return nil, sh, nil
}

func withCustomHeaders(ctx context.Context, m map[string]string) context.Context {
	return context.WithValue(ctx, ctxHeadersKey{}, m)
}

func clientOptions() ([]client.Option, error) {
	var tOpts []ttstream.ClientHandlerOption
	switch o.pool {
	case "mux", "":
		tOpts = append(tOpts, ttstream.WithClientMuxConnPool(ttstream.MuxConnConfig{PoolSize: 1, MaxIdleTimeout: o.idleTimeout}))
	case "long":
		tOpts = append(tOpts, ttstream.WithClientLongConnPool(ttstream.LongConnConfig{MaxIdleTimeout: o.idleTimeout}))
	case "short":
		tOpts = append(tOpts, ttstream.WithClientShortConnPool())
	default:
		return nil, fmt.Errorf("unknown -pool %q (mux|long|short)", o.pool)
	}
	tOpts = append(tOpts, ttstream.WithClientHeaderFrameHandler(headerWriter{}))
	cos := []client.Option{
		client.WithHostPorts(o.addr),
		client.WithTTHeaderStreamingOptions(client.WithTTHeaderStreamingTransportOptions(tOpts...)),
	}
	if o.serviceName != "" {
		cos = append(cos, client.WithClientBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: o.serviceName}))
	}
	uos, err := unaryClientOptions()
	if err != nil {
		return nil, err
	}
	cos = append(cos, uos...)
	eos, err := etcdClientOptions()
	if err != nil {
		return nil, err
	}
	cos = append(cos, eos...)
	if o.recvTimeout > 0 {
		cos = append(cos, client.WithStreamOptions(client.WithStreamRecvTimeoutConfig(streaming.TimeoutConfig{
			Timeout: o.recvTimeout, DisableCancelRemote: o.noCancelRmt,
		})))
	}
	return cos, nil
}

var cli testservice.Client

// rawStreamX opens a stream on a method/service the generated client does not know.
func rawStreamX(ctx context.Context, svcName, method string) (streaming.ClientStream, error) {
	base := testservice.NewServiceInfo()
	methods := map[string]kitex.MethodInfo{}
	for k, v := range base.Methods {
		methods[k] = v
	}
	methods[method] = kitex.NewMethodInfo(nil,
		func() interface{} { return echo.NewTestServiceEchoArgs() },
		func() interface{} { return echo.NewTestServiceEchoResult() },
		false, kitex.WithStreamingMode(kitex.StreamingBidirectional))
	si := &kitex.ServiceInfo{
		ServiceName: svcName, HandlerType: base.HandlerType, Methods: methods,
		PayloadCodec: kitex.Thrift, KiteXGenVersion: base.KiteXGenVersion, Extra: base.Extra,
	}
	cos, err := clientOptions()
	if err != nil {
		return nil, err
	}
	cos = append(cos, client.WithDestService("echo"), client.WithTransportProtocol(transport.TTHeaderStreaming))
	kc, err := client.NewClient(si, cos...)
	if err != nil {
		return nil, err
	}
	return kc.(client.Streaming).StreamX(ctx, method)
}

// baseCtx returns the scenario context: with the -timeout deadline if set.
func baseCtx() (context.Context, context.CancelFunc) {
	if o.timeout > 0 {
		return context.WithTimeout(context.Background(), o.timeout)
	}
	return context.WithCancel(context.Background())
}

func withInterval(ctx context.Context, ms int) context.Context {
	if ms > 0 {
		return metainfo.WithValue(ctx, "interval-ms", strconv.Itoa(ms))
	}
	return ctx
}

// ---------------------------------------------------------------------------------------------
// generic drivers

type bidi = testservice.TestService_EchoClient

// drainRecv receives until an error; returns the terminal error (nil for io.EOF).
func drainRecv(v *Verdict, ctx context.Context, recv func(context.Context) (*echo.Response, error)) error {
	for i := 0; i < 100000; i++ {
		t := time.Now()
		r, err := recv(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			v.Error = v.errInfo(err, "recv", t)
			return err
		}
		v.Received = append(v.Received, Msg{r.Message, r.Index})
	}
	v.fail("drainRecv: too many messages")
	return nil
}

func expectMsgs(v *Verdict, want []Msg) {
	if len(v.Received) != len(want) {
		v.fail("received %d messages, want %d", len(v.Received), len(want))
		return
	}
	for i := range want {
		if v.Received[i] != want[i] {
			v.fail("message %d = %+v, want %+v", i, v.Received[i], want[i])
		}
	}
}

func expectHeaderHandler(v *Verdict) {
	if v.Header["x-handler"] != "TestService."+v.Method {
		v.fail("header x-handler = %q, want %q", v.Header["x-handler"], "TestService."+v.Method)
	}
}

func expectTrailerSent(v *Verdict, n int) {
	if v.Trailer["x-sent"] != strconv.Itoa(n) {
		v.fail("trailer x-sent = %q, want %q", v.Trailer["x-sent"], strconv.Itoa(n))
	}
}

func expectNoError(v *Verdict) {
	if v.Error != nil {
		v.fail("unexpected error: %s", v.Error.Text)
	}
}

func expectCode(v *Verdict, code int32) {
	if v.Error == nil {
		v.fail("no error, want code %d", code)
		return
	}
	if v.Error.Code == nil || *v.Error.Code != code {
		got := "none"
		if v.Error.Code != nil {
			got = strconv.Itoa(int(*v.Error.Code))
		}
		v.fail("error code %s, want %d (%s)", got, code, v.Error.Text)
	}
}

// ---------------------------------------------------------------------------------------------
// scenarios

type scenarioFn func(v *Verdict)

var scenarios = map[string]scenarioFn{}
var scenarioOrder []string

func reg(name string, fn scenarioFn) {
	scenarios[name] = fn
	scenarioOrder = append(scenarioOrder, name)
}

func msgs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", o.message, i)
	}
	return out
}

// runBidi: ping-pong n messages, CloseSend, drain. Shared by echo_bidi, metainfo, custom_headers.
func runBidi(v *Verdict, ctx context.Context, n int) {
	v.Method = "Echo"
	t := time.Now()
	st, err := cli.Echo(ctx)
	if err != nil {
		v.Error = v.errInfo(err, "open", t)
		v.fail("open failed")
		return
	}
	var want []Msg
	for i, m := range msgs(n) {
		t = time.Now()
		if err := st.Send(ctx, &echo.Request{Message: m}); err != nil {
			v.Error = v.errInfo(err, "send", t)
			v.fail("send %d failed", i)
			return
		}
		v.Sent = append(v.Sent, Msg{m, 0})
		want = append(want, Msg{m, int32(i)})
		t = time.Now()
		r, err := st.Recv(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "recv", t)
			v.fail("recv %d failed", i)
			return
		}
		v.Received = append(v.Received, Msg{r.Message, r.Index})
	}
	// Header() blocks until the server HEADER arrives; with 0 rounds that happens only after
	// the half-close, so read it afterwards in that case.
	if n > 0 {
		v.recordHeader(st)
	}
	_ = st.CloseSend(ctx)
	drainRecv(v, ctx, st.Recv)
	if n == 0 {
		v.recordHeader(st)
	}
	v.recordTrailer(st)
	expectMsgs(v, want)
	expectNoError(v)
	expectHeaderHandler(v)
	expectTrailerSent(v, n)
}

func init() {
	reg("idle_reap", func(v *Verdict) {
		v.Expect = "echo_bidi (1 round), an idle pause of -idle-wait (longer than the pool's -idle-timeout), echo_bidi again; both succeed"
		ctx, cancel := baseCtx()
		defer cancel()
		runBidi(v, ctx, 1)
		if len(v.Problems) > 0 {
			return
		}
		time.Sleep(o.idleWait)
		first := v.Received
		v.Sent, v.Received = []Msg{}, []Msg{}
		runBidi(v, ctx, 1)
		v.Received = append(first, v.Received...)
	})

	reg("echo_bidi", func(v *Verdict) {
		v.Expect = "count ping-pong rounds; Response{message, index=i}; EOF; header x-handler=TestService.Echo; trailer x-sent=count"
		ctx, cancel := baseCtx()
		defer cancel()
		runBidi(v, ctx, o.count)
	})

	reg("echo_bidi_empty", func(v *Verdict) {
		v.Expect = "bidi, CloseSend at once: 0 responses, EOF, x-sent=0"
		ctx, cancel := baseCtx()
		defer cancel()
		runBidi(v, ctx, 0)
	})

	reg("echo_client", func(v *Verdict) {
		v.Method = "EchoClient"
		v.Expect = "send count messages, CloseAndRecv: Response{message: joined with \",\", index: count}; trailer x-sent=1"
		ctx, cancel := baseCtx()
		defer cancel()
		t := time.Now()
		st, err := cli.EchoClient(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "open", t)
			v.fail("open failed")
			return
		}
		ms := msgs(o.count)
		for _, m := range ms {
			t = time.Now()
			if err := st.Send(ctx, &echo.Request{Message: m}); err != nil {
				v.Error = v.errInfo(err, "send", t)
				v.fail("send failed")
				return
			}
			v.Sent = append(v.Sent, Msg{m, 0})
		}
		t = time.Now()
		r, err := st.CloseAndRecv(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "close_and_recv", t)
		} else {
			v.Received = append(v.Received, Msg{r.Message, r.Index})
		}
		v.recordHeader(st)
		// the trailer is complete once the stream ended; Recv once more to observe EOF
		t = time.Now()
		if err := st.RecvMsg(ctx, &echo.Response{}); err != io.EOF {
			v.Extra = map[string]any{"recv_after_close_and_recv": v.errInfo(err, "recv", t)}
		}
		v.recordTrailer(st)
		expectMsgs(v, []Msg{{strings.Join(ms, ","), int32(len(ms))}})
		expectNoError(v)
		expectHeaderHandler(v)
		expectTrailerSent(v, 1)
	})

	reg("echo_server", func(v *Verdict) {
		v.Method = "EchoServer"
		v.Expect = "Request{message, count}: count responses {message, i}; EOF; x-sent=count"
		ctx, cancel := baseCtx()
		defer cancel()
		req := &echo.Request{Message: o.message, Count: int32(o.count)}
		v.Sent = []Msg{{req.Message, req.Count}}
		t := time.Now()
		st, err := cli.EchoServer(withInterval(ctx, o.intervalMs), req)
		if err != nil {
			v.Error = v.errInfo(err, "open", t)
			v.fail("open failed")
			return
		}
		drainRecv(v, ctx, st.Recv)
		v.recordHeader(st)
		v.recordTrailer(st)
		var want []Msg
		for i := 0; i < o.count; i++ {
			want = append(want, Msg{o.message, int32(i)})
		}
		expectMsgs(v, want)
		expectNoError(v)
		expectHeaderHandler(v)
		expectTrailerSent(v, o.count)
	})

	reg("server_stream_biz_error", func(v *Verdict) {
		v.Method = "ServerStreamWithErr"
		v.Expect = "count tokens {token-i, i}, then BizStatusError 10001 'insufficient user balance' extra {testKey:testVal}; trailer x-sent=count plus biz-* keys"
		ctx, cancel := baseCtx()
		defer cancel()
		req := &echo.Request{Message: "balance", Count: int32(o.count)}
		v.Sent = []Msg{{req.Message, req.Count}}
		t := time.Now()
		st, err := cli.ServerStreamWithErr(ctx, req)
		if err != nil {
			v.Error = v.errInfo(err, "open", t)
			v.fail("open failed")
			return
		}
		if o.recvDelay > 0 {
			time.Sleep(o.recvDelay)
		}
		drainRecv(v, ctx, st.Recv)
		v.recordHeader(st)
		v.recordTrailer(st)
		// what a second Recv returns after the terminal error
		t = time.Now()
		_, err2 := st.Recv(ctx)
		v.Extra = map[string]any{"second_recv": v.errInfo(err2, "recv", t)}
		var want []Msg
		for i := 0; i < o.count; i++ {
			want = append(want, Msg{"token-" + strconv.Itoa(i), int32(i)})
		}
		// Kitex v0.16.3 clients drop DATA that precede a biz-error trailer when the trailer has
		// been processed before Recv (fixtures README, D1). Unless -strict-biz, a correct prefix
		// is accepted and the number of dropped messages is reported.
		if !o.strictBiz && len(v.Received) < len(want) {
			expectMsgs(v, want[:len(v.Received)])
			v.Extra["kitex_client_dropped_data"] = len(want) - len(v.Received)
		} else {
			expectMsgs(v, want)
		}
		if v.Error == nil || v.Error.Biz == nil {
			v.fail("want a biz error")
		} else if b := v.Error.Biz; b.Code != 10001 || b.Message != "insufficient user balance" || b.Extra["testKey"] != "testVal" {
			v.fail("biz error = %+v", *b)
		}
		expectHeaderHandler(v)
		expectTrailerSent(v, o.count)
	})

	reg("server_stream_plain_error", func(v *Verdict) {
		v.Method = "ServerStreamWithErr"
		v.Expect = "message 'test error': no data, error code 12001 whose text contains 'test error'"
		ctx, cancel := baseCtx()
		defer cancel()
		req := &echo.Request{Message: "test error", Count: int32(o.count)}
		v.Sent = []Msg{{req.Message, req.Count}}
		t := time.Now()
		st, err := cli.ServerStreamWithErr(ctx, req)
		if err != nil {
			v.Error = v.errInfo(err, "open", t)
			v.fail("open failed")
			return
		}
		drainRecv(v, ctx, st.Recv)
		v.recordHeader(st)
		v.recordTrailer(st)
		expectMsgs(v, nil)
		expectCode(v, 12001)
		if v.Error != nil && !strings.Contains(v.Error.Text, "test error") {
			v.fail("error text lacks 'test error'")
		}
		expectHeaderHandler(v)
	})

	regCancel()

	reg("recv_timeout", func(v *Verdict) {
		v.Method = "EchoServer"
		v.Expect = "needs -recv-timeout (e.g. 200ms). EchoServer count=2 with interval-ms=-interval (default 1000, a pause before every response): the first Recv times out with 12014. With -disable-cancel-remote the Recv is retried and succeeds (extra.retry)."
		if o.recvTimeout <= 0 {
			v.fail("run with -recv-timeout")
			return
		}
		ctx, cancel := baseCtx()
		defer cancel()
		gap := o.intervalMs
		if gap <= 0 {
			gap = 1000
		}
		req := &echo.Request{Message: o.message, Count: 2}
		v.Sent = []Msg{{req.Message, req.Count}}
		t := time.Now()
		st, err := cli.EchoServer(withInterval(ctx, gap), req)
		if err != nil {
			v.Error = v.errInfo(err, "open", t)
			v.fail("open failed")
			return
		}
		err = drainRecv(v, ctx, st.Recv)
		v.Extra = map[string]any{}
		if err != nil && o.noCancelRmt {
			// retry: the stream must still be alive
			var retries []any
			for i := 0; i < 20 && len(v.Received) < 2; i++ {
				t = time.Now()
				r, rerr := st.Recv(ctx)
				if rerr != nil {
					retries = append(retries, v.errInfo(rerr, "recv_retry", t))
					if rerr == io.EOF || !errors.Is(rerr, kerrors.ErrStreamingTimeout) {
						break
					}
					continue
				}
				v.Received = append(v.Received, Msg{r.Message, r.Index})
				retries = append(retries, map[string]any{"ok": true, "at_ms": v.since()})
			}
			v.Extra["retry"] = retries
			t = time.Now()
			_, rerr := st.Recv(ctx)
			v.Extra["final_recv"] = v.errInfo(rerr, "recv", t)
		}
		v.recordHeader(st)
		v.recordTrailer(st)
		expectCode(v, 12014)
		if o.noCancelRmt && len(v.Received) != 2 {
			v.fail("with -disable-cancel-remote, want both responses after retry; got %d", len(v.Received))
		}
		linger()
	})

	reg("deadline", func(v *Verdict) {
		v.Method = "EchoServer"
		v.Expect = "ctx deadline -timeout (default here 300ms) on a slow EchoServer (count=3, interval 1000ms): 12015 after ~timeout; RST with type 12015 on the wire"
		to := o.timeout
		if to <= 0 {
			to = 300 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), to)
		defer cancel()
		req := &echo.Request{Message: o.message, Count: 3}
		v.Sent = []Msg{{req.Message, req.Count}}
		t := time.Now()
		st, err := cli.EchoServer(withInterval(ctx, 1000), req)
		if err != nil {
			v.Error = v.errInfo(err, "open", t)
			v.fail("open failed")
			return
		}
		drainRecv(v, ctx, st.Recv)
		v.recordHeader(st)
		v.recordTrailer(st)
		expectCode(v, 12015)
		linger()
	})

	reg("metainfo", func(v *Verdict) {
		v.Expect = "metainfo.WithValue(k2=v2) + WithPersistentValue(k1=v1) on a 1-message Echo; server header x-metainfo = JSON {transient:{k2:v2}, persistent:{k1:v1}}"
		ctx, cancel := baseCtx()
		defer cancel()
		ctx = metainfo.WithValue(ctx, "k2", "v2")
		ctx = metainfo.WithPersistentValue(ctx, "k1", "v1")
		runBidi(v, ctx, 1)
		var got struct {
			Transient  map[string]string `json:"transient"`
			Persistent map[string]string `json:"persistent"`
		}
		if err := json.Unmarshal([]byte(v.Header["x-metainfo"]), &got); err != nil {
			v.fail("x-metainfo not JSON: %q", v.Header["x-metainfo"])
			return
		}
		if got.Transient["k2"] != "v2" || got.Persistent["k1"] != "v1" {
			v.fail("x-metainfo = %s", v.Header["x-metainfo"])
		}
	})

	reg("custom_headers", func(v *Verdict) {
		v.Expect = "client HEADER string keys x-echo-initial / x-echo-trailing (sent through a HeaderFrameWriteHandler); server echoes x-echo-initial in its HEADER and x-echo-trailing in its TRAILER"
		ctx, cancel := baseCtx()
		defer cancel()
		initial := "test_initial_metadata_value"
		trailing := "a,b:c=d ☺😈"
		ctx = withCustomHeaders(ctx, map[string]string{"x-echo-initial": initial, "x-echo-trailing": trailing})
		runBidi(v, ctx, 1)
		if v.Header["x-echo-initial"] != initial {
			v.fail("header x-echo-initial = %q", v.Header["x-echo-initial"])
		}
		if v.Trailer["x-echo-trailing"] != trailing {
			v.fail("trailer x-echo-trailing = %q", v.Trailer["x-echo-trailing"])
		}
	})

	reg("unknown_method", func(v *Verdict) {
		v.Method = "NoSuchMethod"
		v.Expect = "isn=TestService, method NoSuchMethod (bidi). Observed behaviour is recorded; the spec predicts silence until the client's deadline (-timeout, default here 1s) -> 12015"
		unknownCall(v, "TestService", "NoSuchMethod")
	})

	reg("unknown_service", func(v *Verdict) {
		v.Method = "NoSuchMethod"
		v.Expect = "isn=NoSuchService, method NoSuchMethod. Observed behaviour is recorded (deadline -timeout, default 1s)"
		unknownCall(v, "NoSuchService", "NoSuchMethod")
	})

	reg("unknown_service_known_method", func(v *Verdict) {
		v.Method = "Echo"
		v.Expect = "isn=NoSuchService, method Echo: Kitex falls back to the service owning the method (SearchService), so the echo works"
		unknownCall(v, "NoSuchService", "Echo")
	})

	reg("scale_bidi", func(v *Verdict) {
		v.Method = "Echo"
		v.Expect = "-concurrency bidi streams at once (mux PoolSize 1 = one TCP connection), -count messages each; every stream gets its own messages back in order"
		ctx, cancel := baseCtx()
		defer cancel()
		var okN, failN int64
		var mu sync.Mutex
		var firstErrs []string
		var wg sync.WaitGroup
		for c := 0; c < o.concurrency; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				bad := func(s string) {
					atomic.AddInt64(&failN, 1)
					mu.Lock()
					if len(firstErrs) < 5 {
						firstErrs = append(firstErrs, fmt.Sprintf("stream %d: %s", c, s))
					}
					mu.Unlock()
				}
				st, err := cli.Echo(ctx)
				if err != nil {
					bad("open: " + err.Error())
					return
				}
				for i := 0; i < o.count; i++ {
					m := fmt.Sprintf("s%d-m%d", c, i)
					if err := st.Send(ctx, &echo.Request{Message: m}); err != nil {
						bad("send: " + err.Error())
						return
					}
					r, err := st.Recv(ctx)
					if err != nil {
						bad("recv: " + err.Error())
						return
					}
					if r.Message != m || r.Index != int32(i) {
						bad(fmt.Sprintf("got %+v want {%s %d}", r, m, i))
						return
					}
				}
				_ = st.CloseSend(ctx)
				if err := st.RecvMsg(ctx, &echo.Response{}); err != io.EOF {
					bad(fmt.Sprintf("want EOF, got %v", err))
					return
				}
				tr, _ := st.Trailer()
				if tr["x-sent"] != strconv.Itoa(o.count) {
					bad("x-sent " + tr["x-sent"])
					return
				}
				atomic.AddInt64(&okN, 1)
			}(c)
		}
		wg.Wait()
		v.Extra = map[string]any{"streams": o.concurrency, "messages_each": o.count, "ok": okN, "failed": failN, "first_errors": firstErrs}
		if failN > 0 || okN != int64(o.concurrency) {
			v.fail("%d of %d streams failed", failN, o.concurrency)
		}
	})
}

func unknownCall(v *Verdict, svc, method string) {
	to := o.timeout
	if to <= 0 {
		to = time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), to)
	defer cancel()
	v.Extra = map[string]any{"isn": svc, "deadline_ms": to.Milliseconds()}
	t := time.Now()
	st, err := rawStreamX(ctx, svc, method)
	if err != nil {
		v.Error = v.errInfo(err, "open", t)
		return
	}
	t = time.Now()
	req := &echo.Request{Message: o.message}
	if err := st.SendMsg(ctx, req); err != nil {
		v.Error = v.errInfo(err, "send", t)
	} else {
		v.Sent = append(v.Sent, Msg{req.Message, 0})
		_ = st.CloseSend(ctx)
		drainRecv(v, ctx, func(ctx context.Context) (*echo.Response, error) {
			r := &echo.Response{}
			err := st.RecvMsg(ctx, r)
			return r, err
		})
	}
	v.recordHeader(st)
	v.recordTrailer(st)
	linger()
}

// ---------------------------------------------------------------------------------------------
// cancel scenarios: cancel_{bidi,client,server}_{before_first,mid_stream} and cancel_bidi_no_recv

func linger() {
	if o.linger > 0 {
		time.Sleep(o.linger)
	}
}

func regCancel() {
	doCancel := func(v *Verdict, cancel context.CancelFunc) {
		now := time.Now().UnixMilli()
		ms := now - v.StartMs
		v.CancelMs = &ms
		v.CancelAt = &now
		cancel()
	}
	// after the cancel: one Recv (which makes Kitex notice the cancel at once and send RST),
	// then a Send, recorded in extra.
	after := func(v *Verdict, ctx context.Context, recv func(context.Context) (*echo.Response, error), send func(context.Context, *echo.Request) error) {
		drainRecv(v, ctx, recv)
		if send != nil {
			t := time.Now()
			err := send(ctx, &echo.Request{Message: "after-cancel"})
			if v.Extra == nil {
				v.Extra = map[string]any{}
			}
			v.Extra["send_after_cancel"] = v.errInfo(err, "send", t)
		}
	}
	exp := "client cancel() -> local 12007 '[ttstream error, code=12007] [client-side stream] [canceled path: <svc>] user code invoking stream RPC ...'; RST(type 12007, ttscp=<service-name>) then empty TRAILER if not half-closed; the server log shows a stream_end with the cancel error"

	reg("cancel_bidi_before_first", func(v *Verdict) {
		v.Method = "Echo"
		v.Expect = exp
		ctx, cancel := baseCtx()
		defer cancel()
		st, err := cli.Echo(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "open", time.Now())
			return
		}
		time.Sleep(time.Duration(o.cancelWaitMs) * time.Millisecond)
		doCancel(v, cancel)
		after(v, ctx, st.Recv, st.Send)
		v.recordHeader(st)
		v.recordTrailer(st)
		expectCode(v, 12007)
		linger()
	})
	reg("cancel_bidi_mid_stream", func(v *Verdict) {
		v.Method = "Echo"
		v.Expect = exp + " (after 1 ping-pong round)"
		ctx, cancel := baseCtx()
		defer cancel()
		st, err := cli.Echo(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "open", time.Now())
			return
		}
		t := time.Now()
		if err := st.Send(ctx, &echo.Request{Message: o.message}); err != nil {
			v.Error = v.errInfo(err, "send", t)
			return
		}
		v.Sent = append(v.Sent, Msg{o.message, 0})
		r, err := st.Recv(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "recv", t)
			return
		}
		v.Received = append(v.Received, Msg{r.Message, r.Index})
		time.Sleep(time.Duration(o.cancelWaitMs) * time.Millisecond)
		doCancel(v, cancel)
		after(v, ctx, st.Recv, st.Send)
		v.recordHeader(st)
		v.recordTrailer(st)
		expectCode(v, 12007)
		linger()
	})
	reg("cancel_bidi_no_recv", func(v *Verdict) {
		v.Method = "Echo"
		v.Expect = "cancel() while no goroutine is in Recv/Send: the RST goes out only when the 5 s cleanup ticker notices (use -linger 7s and the tap / server log to measure)"
		ctx, cancel := baseCtx()
		defer cancel()
		st, err := cli.Echo(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "open", time.Now())
			return
		}
		t := time.Now()
		if err := st.Send(ctx, &echo.Request{Message: o.message}); err != nil {
			v.Error = v.errInfo(err, "send", t)
			return
		}
		v.Sent = append(v.Sent, Msg{o.message, 0})
		r, err := st.Recv(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "recv", t)
			return
		}
		v.Received = append(v.Received, Msg{r.Message, r.Index})
		doCancel(v, cancel)
		linger()
		// only now look at the stream
		after(v, ctx, st.Recv, nil)
		v.recordTrailer(st)
		expectCode(v, 12007)
	})
	// client streaming: cancel(), then a bare Recv (no CloseSend): deterministic RST + TRAILER
	clientCancel := func(v *Verdict, sends int) {
		v.Method = "EchoClient"
		ctx, cancel := baseCtx()
		defer cancel()
		st, err := cli.EchoClient(ctx)
		if err != nil {
			v.Error = v.errInfo(err, "open", time.Now())
			return
		}
		for _, m := range msgs(sends) {
			t := time.Now()
			if err := st.Send(ctx, &echo.Request{Message: m}); err != nil {
				v.Error = v.errInfo(err, "send", t)
				return
			}
			v.Sent = append(v.Sent, Msg{m, 0})
		}
		time.Sleep(time.Duration(o.cancelWaitMs) * time.Millisecond)
		doCancel(v, cancel)
		t := time.Now()
		err = st.RecvMsg(ctx, &echo.Response{})
		v.Error = v.errInfo(err, "recv", t)
		t = time.Now()
		serr := st.Send(ctx, &echo.Request{Message: "after-cancel"})
		v.Extra = map[string]any{"send_after_cancel": v.errInfo(serr, "send", t)}
		v.recordHeader(st)
		v.recordTrailer(st)
		expectCode(v, 12007)
		linger()
	}
	reg("cancel_client_before_first", func(v *Verdict) {
		v.Expect = exp + " (EchoClient: open, cancel(), Recv without CloseSend)"
		clientCancel(v, 0)
	})
	reg("cancel_client_mid_stream", func(v *Verdict) {
		v.Expect = exp + " (EchoClient: 2 requests, cancel(), Recv without CloseSend)"
		clientCancel(v, 2)
	})
	reg("cancel_client_close_and_recv", func(v *Verdict) {
		v.Method = "EchoClient"
		v.Expect = "EchoClient: 2 requests, cancel(), then CloseAndRecv; the server pauses interval-ms=-interval (default 200) before its response. On the wire: TRAILER, then RST. With -interval 0 the outcome is a race (see fixtures README D14); ok accepts 12007 or success and extra.outcome says which"
		ctx, cancel := baseCtx()
		defer cancel()
		gap := o.intervalMs
		switch {
		case gap < 0:
			gap = 0
		case gap == 0:
			gap = 200
		}
		st, err := cli.EchoClient(withInterval(ctx, gap))
		if err != nil {
			v.Error = v.errInfo(err, "open", time.Now())
			return
		}
		for _, m := range msgs(2) {
			t := time.Now()
			if err := st.Send(ctx, &echo.Request{Message: m}); err != nil {
				v.Error = v.errInfo(err, "send", t)
				return
			}
			v.Sent = append(v.Sent, Msg{m, 0})
		}
		time.Sleep(time.Duration(o.cancelWaitMs) * time.Millisecond)
		doCancel(v, cancel)
		t := time.Now()
		r, err := st.CloseAndRecv(ctx)
		v.Error = v.errInfo(err, "close_and_recv", t)
		outcome := "canceled"
		if err == nil {
			outcome = "succeeded"
			v.Received = append(v.Received, Msg{r.Message, r.Index})
		}
		v.Extra = map[string]any{"outcome": outcome, "interval_ms": gap}
		v.recordHeader(st)
		v.recordTrailer(st)
		if err != nil {
			expectCode(v, 12007)
		}
		linger()
	})
	serverCancel := func(v *Verdict, recvFirst int) {
		v.Method = "EchoServer"
		ctx, cancel := baseCtx()
		defer cancel()
		gap := o.intervalMs
		if gap <= 0 {
			gap = 200
		}
		req := &echo.Request{Message: o.message, Count: 10}
		v.Sent = []Msg{{req.Message, req.Count}}
		v.Extra = map[string]any{"interval_ms": gap}
		t := time.Now()
		st, err := cli.EchoServer(withInterval(ctx, gap), req)
		if err != nil {
			v.Error = v.errInfo(err, "open", t)
			return
		}
		for i := 0; i < recvFirst; i++ {
			t = time.Now()
			r, err := st.Recv(ctx)
			if err != nil {
				v.Error = v.errInfo(err, "recv", t)
				return
			}
			v.Received = append(v.Received, Msg{r.Message, r.Index})
		}
		time.Sleep(time.Duration(o.cancelWaitMs) * time.Millisecond)
		doCancel(v, cancel)
		after(v, ctx, st.Recv, nil)
		v.recordHeader(st)
		v.recordTrailer(st)
		expectCode(v, 12007)
		linger()
	}
	reg("cancel_server_before_first", func(v *Verdict) {
		v.Expect = exp + " (EchoServer count=10 interval-ms=-interval (default 200); cancel before reading anything)"
		serverCancel(v, 0)
	})
	reg("cancel_server_mid_stream", func(v *Verdict) {
		v.Expect = exp + " (EchoServer count=10 interval-ms=-interval (default 200); cancel after 2 responses)"
		serverCancel(v, 2)
	})
}

// ---------------------------------------------------------------------------------------------

func main() {
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8888", "server address host:port")
	flag.StringVar(&o.pool, "pool", "mux", "connection pool: mux (PoolSize 1) | long | short")
	flag.StringVar(&o.serviceName, "service-name", "", "client service name (client.WithClientBasicInfo); shows up as ttscp in RST frames")
	flag.DurationVar(&o.recvTimeout, "recv-timeout", 0, "client-level stream Recv timeout (client.WithStreamRecvTimeoutConfig)")
	flag.BoolVar(&o.noCancelRmt, "disable-cancel-remote", false, "TimeoutConfig.DisableCancelRemote for -recv-timeout")
	flag.DurationVar(&o.timeout, "timeout", 0, "ctx deadline for each scenario's stream (0 = none; unknown_* default 1s, deadline default 300ms)")
	flag.IntVar(&o.count, "count", 3, "messages per stream / EchoServer count / balance")
	flag.IntVar(&o.concurrency, "concurrency", 100, "streams for scale_bidi")
	flag.DurationVar(&o.linger, "linger", 300*time.Millisecond, "sleep after cancel/timeout scenarios so the RST reaches the server before the process exits")
	flag.DurationVar(&o.guard, "guard", 30*time.Second, "hard limit per scenario; a scenario still running then is reported with ok=false and the process exits 3")
	flag.StringVar(&o.message, "message", "hello", "request message text")
	flag.IntVar(&o.intervalMs, "interval", 0, "server-side pause before each response (sent as metainfo interval-ms) for echo_server, cancel_server_*, cancel_client_close_and_recv (-1 = none), recv_timeout")
	flag.IntVar(&o.cancelWaitMs, "cancel-wait", 50, "ms to wait before cancel() in cancel_* scenarios")
	flag.DurationVar(&o.recvDelay, "recv-delay", 0, "server_stream_biz_error: sleep this long after opening the stream before the first Recv (shows the Kitex client dropping DATA that precede a biz-error trailer)")
	flag.BoolVar(&o.strictBiz, "strict-biz", false, "server_stream_biz_error: fail when the Kitex client dropped DATA before the biz error (D1) instead of reporting extra.kitex_client_dropped_data")
	flag.DurationVar(&o.idleTimeout, "idle-timeout", time.Minute, "MaxIdleTimeout of the mux and long pools")
	flag.DurationVar(&o.idleWait, "idle-wait", 3*time.Second, "idle_reap: the pause between the two calls")
	scen := flag.String("scenario", "echo_bidi", "comma-separated scenario names, or 'all' (every streaming scenario that needs no special flags), 'unary' (every unary_* scenario), or 'list'")
	quiet := flag.Bool("quiet", true, "silence Kitex's own log (klog) below error level")
	flag.Parse()

	if *quiet {
		klog.SetLevel(klog.LevelFatal)
	}
	klog.SetOutput(os.Stderr)

	if *scen == "list" {
		names := append([]string(nil), scenarioOrder...)
		sort.Strings(names)
		fmt.Println(strings.Join(names, "\n"))
		return
	}
	var names []string
	if *scen == "all" {
		for _, n := range scenarioOrder {
			if n == "recv_timeout" || n == "cancel_bidi_no_recv" || n == "idle_reap" || strings.HasPrefix(n, "unary_") {
				continue
			}
			names = append(names, n)
		}
	} else {
		for _, n := range strings.Split(*scen, ",") {
			if n == "unary" {
				names = append(names, unaryNames...)
			} else {
				names = append(names, n)
			}
		}
	}
	for _, n := range names {
		if _, ok := scenarios[n]; !ok {
			fmt.Fprintf(os.Stderr, "unknown scenario %q (try -scenario list)\n", n)
			os.Exit(2)
		}
	}

	cos, err := clientOptions()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	otelName := o.serviceName
	if otelName == "" {
		otelName = "kitex-client"
	}
	oos, err := otelClientOptions(otelName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer otelShutdown()
	cos = append(cos, oos...)
	cli, err = testservice.NewClient("echo", cos...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	allOK := true
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, n := range names {
		v := &Verdict{Scenario: n, Pool: o.pool, Service: o.serviceName, StartMs: time.Now().UnixMilli(), Problems: []string{}, Sent: []Msg{}, Received: []Msg{}}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if r := recover(); r != nil {
					v.fail("panic: %v", r)
				}
			}()
			scenarios[n](v)
		}()
		select {
		case <-done:
		case <-time.After(o.guard):
			v.fail("guard: scenario still running after %s", o.guard)
			v.ElapsedMs = time.Now().UnixMilli() - v.StartMs
			v.OK = false
			_ = enc.Encode(v)
			otelShutdown()
			os.Exit(3)
		}
		v.ElapsedMs = time.Now().UnixMilli() - v.StartMs
		v.OK = len(v.Problems) == 0
		allOK = allOK && v.OK
		_ = enc.Encode(v)
	}
	if !allOK {
		otelShutdown()
		os.Exit(1)
	}
}
