package main

// Unary and oneway scenarios (EchoUnary, UnaryWithErr, Notify), with the Kitex client in the
// unary transport shape chosen by -transport. See test/interop/README.md ("Unary scenarios").
// They are not part of `-scenario all`; `-scenario unary` runs every one of them.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/client/callopt"
	"github.com/cloudwego/kitex/pkg/kerrors"
	kitex "github.com/cloudwego/kitex/pkg/serviceinfo"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/transport"

	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo"
	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo/testservice"
)

var (
	unaryTransport = flag.String("transport", "default", "unary transport shape: default (the generated NewClient as is: Framed, Kitex's default since v0.13) | framed | ttheader (unframed TTHeader) | ttheader-as-written (WithTransportProtocol(transport.TTHeader) alone: Kitex ORs it into Framed = TTHeader+Framed) | ttheader-framed | buffered (transport.PurePayload)")
	ttheaderMeta   = flag.Bool("ttheader-meta", true, "client.WithMetaHandler(transmeta.ClientTTHeaderHandler): int keys (incl. 12 RPCTimeout, isn) out, biz-* keys in (TTHeader shapes only)")
	unaryPool      = flag.String("unary-pool", "long", "unary connection pool: long (Kitex's default long pool) | short (WithShortConnection; also makes ttstream use short connections) | mux (deprecated WithMuxConnection(1): one TTHeader connection, many calls in flight)")
	rpcTimeout     = flag.Duration("rpc-timeout", 100*time.Millisecond, "unary_timeout: callopt.WithRPCTimeout of the slow call")
	sleepMs        = flag.Int("sleep", 500, "unary_timeout: the slow call asks the server for sleep:<ms>")
	connectTimeout = flag.Duration("connect-timeout", 0, "client.WithConnectTimeout of the unary pool (0 = Kitex's default, 50 ms)")
	userIDFlag     = flag.Int64("user-id", 0, "userId of unary_notify (0 = random, so that runs never share the server's Notify book)")
)

// transportOptions maps -transport to WithTransportProtocol options. Kitex's
// SetTransportProtocol ORs its argument into what is already set (Framed by default since
// v0.13), except PurePayload, which resets everything: so an unframed shape needs PurePayload
// first. TTHeaderStreaming is kept so that the same client still calls the streaming methods
// over ttstream (purifyProtocol strips it from unary calls). The second result is the unary
// shape the options give.
func transportOptions() ([]client.Option, transport.Protocol, error) {
	w := client.WithTransportProtocol
	const ts = transport.TTHeaderStreaming
	switch *unaryTransport {
	case "default":
		// what kitex -streamx's NewClient sets (TTHeaderStreaming) on top of Kitex's default
		return nil, transport.Framed, nil
	case "framed":
		return []client.Option{w(transport.Framed | ts)}, transport.Framed, nil
	case "ttheader":
		return []client.Option{w(transport.PurePayload), w(transport.TTHeader | ts)}, transport.TTHeader, nil
	case "ttheader-as-written":
		// client.WithTransportProtocol(transport.TTHeader) as a user writes it: ORed into Framed
		return []client.Option{w(transport.TTHeader)}, transport.TTHeaderFramed, nil
	case "ttheader-framed":
		return []client.Option{w(transport.TTHeaderFramed | ts)}, transport.TTHeaderFramed, nil
	case "buffered":
		return []client.Option{w(transport.PurePayload), w(ts)}, transport.PurePayload, nil
	default:
		return nil, 0, fmt.Errorf("unknown -transport %q (default|framed|ttheader|ttheader-as-written|ttheader-framed|buffered)", *unaryTransport)
	}
}

// unaryClientOptions are appended to clientOptions() (after the generated client's own options).
func unaryClientOptions() ([]client.Option, error) {
	cos, _, err := transportOptions()
	if err != nil {
		return nil, err
	}
	if *ttheaderMeta {
		cos = append(cos, client.WithMetaHandler(transmeta.ClientTTHeaderHandler))
	}
	if *connectTimeout > 0 {
		cos = append(cos, client.WithConnectTimeout(*connectTimeout))
	}
	switch *unaryPool {
	case "long", "":
		// Kitex's default: a long pool (MaxIdlePerAddress 10, MaxIdleGlobal 100, MaxIdleTimeout 1m)
	case "short":
		cos = append(cos, client.WithShortConnection())
	case "mux":
		cos = append(cos, client.WithMuxConnection(1))
	default:
		return nil, fmt.Errorf("unknown -unary-pool %q (long|short|mux)", *unaryPool)
	}
	return cos, nil
}

// isTTHeaderShape: whether business errors and metainfo can travel in the chosen shape.
func isTTHeaderShape() bool {
	_, tp, _ := transportOptions()
	if *unaryPool == "mux" {
		return true // WithMuxConnection forces TTHeader
	}
	return tp&transport.TTHeader == transport.TTHeader
}

// DeclaredInfo is a declared IDL exception (*echo.EchoException) found with errors.As.
type DeclaredInfo struct {
	Code    int32  `json:"code"`
	Message string `json:"message"`
}

// unaryErrInfo is errInfo plus what matters for unary calls.
func (v *Verdict) unaryErrInfo(err error, from string, t time.Time) *ErrInfo {
	ei := v.errInfo(err, from, t)
	if ei == nil {
		return nil
	}
	var ee *echo.EchoException
	if errors.As(err, &ee) {
		ei.Declared = &DeclaredInfo{Code: ee.Code, Message: ee.Message}
	}
	for name, basic := range map[string]error{
		"rpc_timeout": kerrors.ErrRPCTimeout, "remote_or_network": kerrors.ErrRemoteOrNetwork,
		"get_connection": kerrors.ErrGetConnection, "internal_exception": kerrors.ErrInternalException,
		"biz": kerrors.ErrBiz, "canceled_by_business": kerrors.ErrCanceledByBusiness,
		"timeout_by_business": kerrors.ErrTimeoutByBusiness,
	} {
		if errors.Is(err, basic) {
			ei.Kerrors = append(ei.Kerrors, name)
		}
	}
	sort.Strings(ei.Kerrors)
	for e, i := err, 0; e != nil && i < 10; e, i = errors.Unwrap(e), i+1 {
		ei.Chain = append(ei.Chain, fmt.Sprintf("%T", e))
	}
	return ei
}

// callUnary runs one EchoUnary/UnaryWithErr call and records request, response and error.
func callUnary(v *Verdict, ctx context.Context, method string, req *echo.Request, opts ...callopt.Option) (*echo.Response, error) {
	v.Method = method
	v.Sent = append(v.Sent, Msg{req.Message, req.Count})
	t := time.Now()
	var r *echo.Response
	var err error
	if method == "EchoUnary" {
		r, err = cli.EchoUnary(ctx, req, opts...)
	} else {
		r, err = cli.UnaryWithErr(ctx, req, opts...)
	}
	if v.Extra == nil {
		v.Extra = map[string]any{}
	}
	v.Extra["call_ms"] = time.Since(t).Milliseconds()
	v.Extra["response_nil"] = r == nil
	if err != nil {
		v.Error = v.unaryErrInfo(err, "call", t)
	}
	if r != nil {
		v.Received = append(v.Received, Msg{r.Message, r.Index})
	}
	return r, err
}

func expectUnaryReply(v *Verdict, want Msg) {
	expectNoError(v)
	expectMsgs(v, []Msg{want})
}

func randomUserID() int64 {
	if *userIDFlag != 0 {
		return *userIDFlag
	}
	return rand.New(rand.NewSource(time.Now().UnixNano())).Int63n(1<<40) + 1
}

var unaryNames []string

func regUnary(name string, fn scenarioFn) {
	reg(name, func(v *Verdict) {
		v.Transport = *unaryTransport
		v.Pool = *unaryPool
		fn(v)
	})
	unaryNames = append(unaryNames, name)
}

func init() {
	regUnary("unary_echo", func(v *Verdict) {
		v.Expect = "EchoUnary{message, userId, count}: Response{message, index: count}"
		ctx, cancel := baseCtx()
		defer cancel()
		callUnary(v, ctx, "EchoUnary", &echo.Request{Message: o.message, UserId: 7, Count: int32(o.count)})
		expectUnaryReply(v, Msg{o.message, int32(o.count)})
	})

	regUnary("unary_ok", func(v *Verdict) {
		v.Expect = "UnaryWithErr{count > 0}: Response{\"ok\", count}"
		ctx, cancel := baseCtx()
		defer cancel()
		n := o.count
		if n <= 0 {
			n = 3
		}
		callUnary(v, ctx, "UnaryWithErr", &echo.Request{Message: o.message, Count: int32(n)})
		expectUnaryReply(v, Msg{"ok", int32(n)})
	})

	regUnary("unary_biz_error", func(v *Verdict) {
		ctx, cancel := baseCtx()
		defer cancel()
		callUnary(v, ctx, "UnaryWithErr", &echo.Request{Message: o.message, Count: 0})
		if isTTHeaderShape() && *ttheaderMeta {
			v.Expect = "UnaryWithErr{count 0} over TTHeader: *kerrors.BizStatusError 10001 'insufficient user balance' {testKey: testVal}"
			if v.Error == nil || v.Error.Biz == nil {
				v.fail("no business error: %+v", v.Error)
				return
			}
			b := v.Error.Biz
			if b.Code != 10001 || b.Message != "insufficient user balance" || len(b.Extra) != 1 || b.Extra["testKey"] != "testVal" {
				v.fail("business error %+v", *b)
			}
		} else {
			v.Expect = "UnaryWithErr{count 0} over Framed/Buffered (or without the client TTHeader handler): the business error cannot travel; the call returns (nil, nil)"
			expectNoError(v)
			if v.Extra["response_nil"] != true {
				v.fail("a response arrived: %+v", v.Received)
			}
		}
	})

	regUnary("unary_declared", func(v *Verdict) {
		v.Expect = "UnaryWithErr{message 'declared'}: *echo.EchoException{Code: 42, Message: 'declared failure'}"
		ctx, cancel := baseCtx()
		defer cancel()
		callUnary(v, ctx, "UnaryWithErr", &echo.Request{Message: "declared", Count: 1})
		if v.Error == nil || v.Error.Declared == nil {
			v.fail("no declared exception: %+v", v.Error)
			return
		}
		if *v.Error.Declared != (DeclaredInfo{42, "declared failure"}) || v.Error.GoType != "*echo.EchoException" {
			v.fail("declared exception %+v (%s)", *v.Error.Declared, v.Error.GoType)
		}
	})

	regUnary("unary_plain_error", func(v *Verdict) {
		v.Expect = "UnaryWithErr{message 'test error'}: an error whose text carries 'test error' (exact text recorded)"
		ctx, cancel := baseCtx()
		defer cancel()
		callUnary(v, ctx, "UnaryWithErr", &echo.Request{Message: "test error", Count: 1})
		if v.Error == nil {
			v.fail("no error")
			return
		}
		if !strings.Contains(v.Error.Text, "test error") {
			v.fail("error text %q lacks 'test error'", v.Error.Text)
		}
	})

	regUnary("unary_notify", func(v *Verdict) {
		v.Expect = "Notify{userId, 'notify-1'}, EchoUnary{'last-notify', userId} polled until its count is 1, Notify{userId, 'notify-2'}, then polled (max 3 s each): Response{'notify-2', 2}"
		ctx, cancel := baseCtx()
		defer cancel()
		uid := randomUserID()
		v.Method = "Notify"
		v.Extra = map[string]any{"user_id": strconv.FormatInt(uid, 10)}
		polls := 0
		var last *echo.Response
		// Each oneway call has a connection of its own (D23), so two sent back to back may be
		// served in either order: the second goes only once the first was counted.
		for i, m := range []string{"notify-1", "notify-2"} {
			t := time.Now()
			err := cli.Notify(ctx, &echo.Request{Message: m, UserId: uid})
			v.Sent = append(v.Sent, Msg{m, 0})
			if err != nil {
				v.Error = v.unaryErrInfo(err, "notify", t)
				v.fail("Notify failed")
				return
			}
			deadline := time.Now().Add(3 * time.Second)
			for tries := 0; tries < 300; tries++ {
				polls++
				t := time.Now()
				r, err := cli.EchoUnary(ctx, &echo.Request{Message: "last-notify", UserId: uid})
				if err != nil {
					v.Error = v.unaryErrInfo(err, "last-notify", t)
					v.fail("EchoUnary last-notify failed")
					return
				}
				last = r
				if (r != nil && r.Index >= int32(i+1)) || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		v.Extra["polls"] = polls
		if last != nil {
			v.Received = append(v.Received, Msg{last.Message, last.Index})
		}
		expectUnaryReply(v, Msg{"notify-2", 2})
		// a userId nobody notified: empty message, count 0
		r, err := cli.EchoUnary(ctx, &echo.Request{Message: "last-notify", UserId: uid + 1})
		if err != nil || r == nil || r.Message != "" || r.Index != 0 {
			v.fail("last-notify of an unknown userId: %+v, %v", r, err)
		}
	})

	regUnary("unary_timeout", func(v *Verdict) {
		v.Expect = "EchoUnary{'sleep:<-sleep>'} with callopt.WithRPCTimeout(-rpc-timeout): kerrors.ErrRPCTimeout; a following call on the same client succeeds"
		ctx, cancel := baseCtx()
		defer cancel()
		msg := "sleep:" + strconv.Itoa(*sleepMs)
		callUnary(v, ctx, "EchoUnary", &echo.Request{Message: msg, Count: 1}, callopt.WithRPCTimeout(*rpcTimeout))
		v.Extra["rpc_timeout_ms"] = rpcTimeout.Milliseconds()
		if v.Error == nil {
			v.fail("no timeout")
		} else if !containsStr(v.Error.Kerrors, "rpc_timeout") {
			v.fail("not an ErrRPCTimeout: %s", v.Error.Text)
		}
		t := time.Now()
		r, err := cli.EchoUnary(ctx, &echo.Request{Message: "after-timeout", Count: 2})
		after := map[string]any{"call_ms": time.Since(t).Milliseconds()}
		if err != nil {
			after["error"] = v.unaryErrInfo(err, "after", t)
			v.fail("call after the timeout failed: %v", err)
		} else if r == nil || r.Message != "after-timeout" || r.Index != 2 {
			v.fail("call after the timeout: %+v", r)
		} else {
			after["response"] = Msg{r.Message, r.Index}
		}
		v.Extra["after"] = after
		linger() // lets a tap or the server see what happens to the timed-out connection
	})

	regUnary("unary_metainfo", func(v *Verdict) {
		v.Expect = "EchoUnary with metainfo WithValue(k2,v2) + WithPersistentValue(k1,v1) and WithBackwardValues: over TTHeader the backward value x-metainfo = {persistent:{k1:v1}, transient:{k2:v2}}; over Framed/Buffered no metainfo travels (no backward values)"
		ctx, cancel := baseCtx()
		defer cancel()
		ctx = metainfo.WithValue(ctx, "k2", "v2")
		ctx = metainfo.WithPersistentValue(ctx, "k1", "v1")
		ctx = metainfo.WithBackwardValues(ctx)
		callUnary(v, ctx, "EchoUnary", &echo.Request{Message: o.message, Count: 1})
		expectUnaryReply(v, Msg{o.message, 1})
		back := metainfo.RecvAllBackwardValues(ctx)
		if back == nil {
			back = map[string]string{}
		}
		v.Header = back // the backward values: every string key of the reply (TTHeader only)
		if isTTHeaderShape() {
			var got map[string]map[string]string
			if err := json.Unmarshal([]byte(back["x-metainfo"]), &got); err != nil {
				v.fail("backward x-metainfo %q: %v", back["x-metainfo"], err)
				return
			}
			if got["transient"]["k2"] != "v2" || got["persistent"]["k1"] != "v1" || len(got["transient"]) != 1 || len(got["persistent"]) != 1 {
				v.fail("x-metainfo = %s", back["x-metainfo"])
			}
		} else if len(back) != 0 {
			v.fail("backward values over a non-TTHeader shape: %v", back)
		}
	})

	regUnary("unary_unknown_method", func(v *Verdict) {
		v.Expect = "records what a unary call of TestService.NoSuchMethod gets (always ok)"
		v.Method = "NoSuchMethod"
		ctx, cancel := baseCtx()
		defer cancel()
		base := testservice.NewServiceInfo()
		methods := map[string]kitex.MethodInfo{}
		for k, m := range base.Methods {
			methods[k] = m
		}
		methods["NoSuchMethod"] = kitex.NewMethodInfo(nil,
			func() interface{} { return echo.NewTestServiceEchoUnaryArgs() },
			func() interface{} { return echo.NewTestServiceEchoUnaryResult() }, false)
		si := &kitex.ServiceInfo{
			ServiceName: base.ServiceName, HandlerType: base.HandlerType, Methods: methods,
			PayloadCodec: kitex.Thrift, KiteXGenVersion: base.KiteXGenVersion, Extra: base.Extra,
		}
		cos, err := clientOptions()
		if err != nil {
			v.fail("%v", err)
			return
		}
		kc, err := client.NewClient(si, append([]client.Option{client.WithDestService("echo")}, cos...)...)
		if err != nil {
			v.fail("%v", err)
			return
		}
		args := echo.NewTestServiceEchoUnaryArgs()
		args.Req = &echo.Request{Message: o.message}
		res := echo.NewTestServiceEchoUnaryResult()
		v.Sent = append(v.Sent, Msg{o.message, 0})
		t := time.Now()
		if err := kc.Call(ctx, "NoSuchMethod", args, res); err != nil {
			v.Error = v.unaryErrInfo(err, "call", t)
		}
	})

	regUnary("unary_scale", func(v *Verdict) {
		v.Method = "EchoUnary"
		v.Expect = "-concurrency EchoUnary calls at once over the unary pool, each {u<i>, count i}; every reply matches its call"
		ctx, cancel := baseCtx()
		defer cancel()
		var okN, failN int64
		var mu sync.Mutex
		var firstErrs []string
		var wg sync.WaitGroup
		start := make(chan struct{})
		t := time.Now()
		for c := 0; c < o.concurrency; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				<-start
				m := "u" + strconv.Itoa(c)
				r, err := cli.EchoUnary(ctx, &echo.Request{Message: m, Count: int32(c)})
				if err == nil && r != nil && r.Message == m && r.Index == int32(c) {
					atomic.AddInt64(&okN, 1)
					return
				}
				atomic.AddInt64(&failN, 1)
				mu.Lock()
				if len(firstErrs) < 5 {
					firstErrs = append(firstErrs, fmt.Sprintf("call %d: %+v %v", c, r, err))
				}
				mu.Unlock()
			}(c)
		}
		close(start)
		wg.Wait()
		v.Extra = map[string]any{"calls": o.concurrency, "ok": okN, "failed": failN, "first_errors": firstErrs, "load_ms": time.Since(t).Milliseconds()}
		if failN > 0 || okN != int64(o.concurrency) {
			v.fail("%d of %d calls failed", failN, o.concurrency)
		}
	})

	regUnary("unary_mixed", func(v *Verdict) {
		v.Method = "EchoUnary+Echo"
		v.Expect = "-concurrency workers at once on one server port: even ones make -count EchoUnary calls, odd ones a bidi Echo stream of -count rounds (plus a Notify); all succeed with their own data"
		ctx, cancel := baseCtx()
		defer cancel()
		var unaryOK, streamOK, failN int64
		var mu sync.Mutex
		var firstErrs []string
		bad := func(s string) {
			atomic.AddInt64(&failN, 1)
			mu.Lock()
			if len(firstErrs) < 5 {
				firstErrs = append(firstErrs, s)
			}
			mu.Unlock()
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for c := 0; c < o.concurrency; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				<-start
				if c%2 == 0 {
					for i := 0; i < o.count; i++ {
						m := fmt.Sprintf("w%d-u%d", c, i)
						r, err := cli.EchoUnary(ctx, &echo.Request{Message: m, Count: int32(i)})
						if err != nil || r == nil || r.Message != m || r.Index != int32(i) {
							bad(fmt.Sprintf("unary %s: %+v %v", m, r, err))
							return
						}
					}
					atomic.AddInt64(&unaryOK, 1)
					return
				}
				if err := cli.Notify(ctx, &echo.Request{Message: "mixed", UserId: int64(c)}); err != nil {
					bad(fmt.Sprintf("notify %d: %v", c, err))
					return
				}
				st, err := cli.Echo(ctx)
				if err != nil {
					bad(fmt.Sprintf("stream %d open: %v", c, err))
					return
				}
				for i := 0; i < o.count; i++ {
					m := fmt.Sprintf("w%d-s%d", c, i)
					if err := st.Send(ctx, &echo.Request{Message: m}); err != nil {
						bad(fmt.Sprintf("stream %d send: %v", c, err))
						return
					}
					r, err := st.Recv(ctx)
					if err != nil || r.Message != m || r.Index != int32(i) {
						bad(fmt.Sprintf("stream %d recv: %+v %v", c, r, err))
						return
					}
				}
				_ = st.CloseSend(ctx)
				if err := st.RecvMsg(ctx, &echo.Response{}); err != io.EOF {
					bad(fmt.Sprintf("stream %d: want EOF, got %v", c, err))
					return
				}
				atomic.AddInt64(&streamOK, 1)
			}(c)
		}
		t := time.Now()
		close(start)
		wg.Wait()
		unaryWorkers := (o.concurrency + 1) / 2
		streamWorkers := o.concurrency / 2
		v.Extra = map[string]any{
			"unary_workers": unaryWorkers, "stream_workers": streamWorkers, "rounds": o.count,
			"unary_ok": unaryOK, "stream_ok": streamOK, "failed": failN, "first_errors": firstErrs,
			"load_ms": time.Since(t).Milliseconds(),
		}
		if failN > 0 || unaryOK != int64(unaryWorkers) || streamOK != int64(streamWorkers) {
			v.fail("%d workers failed", failN)
		}
	})
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
