package main

// The unary and oneway methods of TestService (ping-pong: TTHeader, TTHeader+Framed, Framed,
// Buffered), served on the same port as the streaming methods. Behaviour:
// /work/shared/spec/echo-service.md, plus the test-only extensions listed in
// test/interop/README.md ("Unary methods"):
//
//   - EchoUnary / UnaryWithErr with message "sleep:<ms>" wait that long (max 60 s, ctx-aware)
//     before answering as usual (the reply still echoes "sleep:<ms>"): the slow call of the
//     timeout tests. It lives in the request body because metainfo only travels over TTHeader.
//   - any metainfo received comes back as the backward metainfo value "x-metainfo" (same JSON as
//     the streaming x-metainfo header); backward values travel as reply string keys, so only a
//     TTHeader reply carries it.
//   - one {"event":"unary_end",...} line per call on stdout (what the handler saw).

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/rpcinfo"

	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo"
)

// notifyBook is what Notify recorded per userId (read back by EchoUnary "last-notify").
type notifyBook struct {
	mu    sync.Mutex
	last  map[int64]string
	count map[int64]int32
}

var notifies = &notifyBook{last: map[int64]string{}, count: map[int64]int32{}}

func (b *notifyBook) record(userID int64, message string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last[userID] = message
	b.count[userID]++
}

func (b *notifyBook) read(userID int64) (string, int32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last[userID], b.count[userID]
}

// maxSleep bounds the "sleep:<ms>" pause.
const maxSleep = 60 * time.Second

// sleepFor parses "sleep:<ms>"; 0 when message is anything else.
func sleepFor(message string) time.Duration {
	rest, ok := strings.CutPrefix(message, "sleep:")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 {
		return 0
	}
	d := time.Duration(n) * time.Millisecond
	if d > maxSleep {
		d = maxSleep
	}
	return d
}

// unaryBegin echoes metainfo back and returns a function that logs the unary_end event.
func unaryBegin(ctx context.Context, method string, req *echo.Request) func(err error) {
	start := time.Now()
	mi := metainfoJSON(ctx)
	if mi != "" {
		metainfo.SendBackwardValue(ctx, "x-metainfo", mi)
	}
	return func(err error) {
		ev := map[string]any{
			"event":       "unary_end",
			"t_ms":        nowMs(),
			"method":      method,
			"duration_ms": time.Since(start).Milliseconds(),
			"err":         errText(err),
			"ctx_err":     errText(ctx.Err()),
		}
		if req != nil {
			ev["message"] = req.Message
			ev["user_id"] = req.UserId
			ev["count"] = req.Count
		}
		if mi != "" {
			ev["metainfo"] = mi
		}
		if ri := rpcinfo.GetRPCInfo(ctx); ri != nil {
			ev["transport"] = ri.Config().TransportProtocol().String()
			ev["rpc_timeout_ms"] = ri.Config().RPCTimeout().Milliseconds()
			ev["from_service"] = ri.From().ServiceName()
			ev["from_method"] = ri.From().Method()
		}
		if dl, ok := ctx.Deadline(); ok {
			ev["ctx_deadline_in_ms"] = time.Until(dl).Milliseconds()
		}
		emit(ev)
	}
}

// EchoUnary returns {message, index: count}; "last-notify" reads the Notify book of userId.
func (*handler) EchoUnary(ctx context.Context, req *echo.Request) (resp *echo.Response, err error) {
	done := unaryBegin(ctx, "EchoUnary", req)
	defer func() { done(err) }()
	if req == nil {
		req = &echo.Request{}
	}
	if werr := sleepCtx(ctx, sleepFor(req.Message)); werr != nil {
		return nil, werr
	}
	if req.Message == "last-notify" {
		last, n := notifies.read(req.UserId)
		return &echo.Response{Message: last, Index: n}, nil
	}
	return &echo.Response{Message: req.Message, Index: req.Count}, nil
}

// UnaryWithErr: "test error" -> plain error; "declared" -> EchoException{42, "declared failure"};
// else count 0 -> business error 10001; count > 0 -> {"ok", count}.
func (*handler) UnaryWithErr(ctx context.Context, req *echo.Request) (resp *echo.Response, err error) {
	done := unaryBegin(ctx, "UnaryWithErr", req)
	defer func() { done(err) }()
	if req == nil {
		req = &echo.Request{}
	}
	if werr := sleepCtx(ctx, sleepFor(req.Message)); werr != nil {
		return nil, werr
	}
	switch {
	case req.Message == "test error":
		return nil, errors.New("test error")
	case req.Message == "declared":
		return nil, &echo.EchoException{Code: 42, Message: "declared failure"}
	case req.Count == 0:
		return nil, kerrors.NewBizStatusErrorWithExtra(10001, "insufficient user balance", map[string]string{"testKey": "testVal"})
	default:
		return &echo.Response{Message: "ok", Index: req.Count}, nil
	}
}

// Notify records the last message and the number of calls per userId; nothing goes back.
func (*handler) Notify(ctx context.Context, req *echo.Request) (err error) {
	done := unaryBegin(ctx, "Notify", req)
	defer func() { done(err) }()
	if req == nil {
		req = &echo.Request{}
	}
	notifies.record(req.UserId, req.Message)
	return nil
}
