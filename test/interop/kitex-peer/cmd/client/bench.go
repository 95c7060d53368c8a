// Load scenarios for `npm run bench:kitex` (bench/kitex.bench.ts). They are registered in the
// scenario map only, so `-scenario all` and `-scenario list` leave them out.
//
//	bench_bidi    -concurrency Echo streams, each a ping-pong loop of -size byte messages for
//	              -duration (after -warmup); latency = one Send+Recv round trip.
//	bench_server  -concurrency workers, each a loop of EchoServer calls {-size bytes, -count};
//	              msgs = responses received; latency = one whole call (open to EOF).
//
// The verdict's extra holds {msgs, seconds, msgs_per_s, p50_us, p99_us, calls, errors, first_error}.
package main

import (
	"context"
	"flag"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo"
)

var (
	benchDuration = flag.Duration("duration", 5*time.Second, "bench_*: measured load duration")
	benchWarmup   = flag.Duration("warmup", 500*time.Millisecond, "bench_*: unmeasured load before -duration")
	benchSize     = flag.Int("size", 1024, "bench_*: request message size in bytes")
)

type benchAcc struct {
	mu       sync.Mutex
	lat      []time.Duration
	msgs     int64
	calls    int64
	errors   int64
	firstErr string
}

func (a *benchAcc) add(lat []time.Duration, msgs, calls int64) {
	a.mu.Lock()
	a.lat = append(a.lat, lat...)
	a.msgs += msgs
	a.calls += calls
	a.mu.Unlock()
}

func (a *benchAcc) fail(err error) {
	a.mu.Lock()
	a.errors++
	if a.firstErr == "" {
		a.firstErr = err.Error()
	}
	a.mu.Unlock()
}

func (a *benchAcc) report(v *Verdict, seconds float64) {
	sort.Slice(a.lat, func(i, j int) bool { return a.lat[i] < a.lat[j] })
	pct := func(p float64) int64 {
		if len(a.lat) == 0 {
			return 0
		}
		i := int(p * float64(len(a.lat)-1))
		return a.lat[i].Microseconds()
	}
	v.Extra = map[string]any{
		"msgs": a.msgs, "seconds": seconds, "msgs_per_s": float64(a.msgs) / seconds,
		"p50_us": pct(0.50), "p99_us": pct(0.99), "calls": a.calls,
		"errors": a.errors, "first_error": a.firstErr,
		"concurrency": o.concurrency, "size": *benchSize, "count": o.count,
	}
	if a.errors > 0 {
		v.fail("%d errors, first: %s", a.errors, a.firstErr)
	}
	if a.msgs == 0 {
		v.fail("no messages")
	}
}

func init() {
	scenarios["bench_bidi"] = func(v *Verdict) {
		v.Method = "Echo"
		v.Expect = "load: -concurrency bidi streams ping-pong -size bytes for -duration"
		payload := strings.Repeat("x", *benchSize)
		ctx := context.Background()
		start := time.Now().Add(*benchWarmup)
		stop := start.Add(*benchDuration)
		acc := &benchAcc{}
		var wg sync.WaitGroup
		for c := 0; c < o.concurrency; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := cli.Echo(ctx)
				if err != nil {
					acc.fail(err)
					return
				}
				lat := make([]time.Duration, 0, 4096)
				var msgs int64
				req := &echo.Request{Message: payload}
				for {
					t := time.Now()
					if t.After(stop) {
						break
					}
					if err := st.Send(ctx, req); err != nil {
						acc.fail(err)
						return
					}
					if _, err := st.Recv(ctx); err != nil {
						acc.fail(err)
						return
					}
					if t.After(start) {
						lat = append(lat, time.Since(t))
						msgs++
					}
				}
				_ = st.CloseSend(ctx)
				if _, err := st.Recv(ctx); err != io.EOF {
					acc.fail(err)
				}
				acc.add(lat, msgs, 1)
			}()
		}
		wg.Wait()
		acc.report(v, benchDuration.Seconds())
	}

	scenarios["bench_server"] = func(v *Verdict) {
		v.Method = "EchoServer"
		v.Expect = "load: -concurrency workers calling EchoServer {-size bytes, -count} for -duration"
		payload := strings.Repeat("x", *benchSize)
		ctx := context.Background()
		start := time.Now().Add(*benchWarmup)
		stop := start.Add(*benchDuration)
		acc := &benchAcc{}
		var wg sync.WaitGroup
		for c := 0; c < o.concurrency; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var lat []time.Duration
				var msgs, calls int64
				req := &echo.Request{Message: payload, Count: int32(o.count)}
				for {
					t := time.Now()
					if t.After(stop) {
						break
					}
					st, err := cli.EchoServer(ctx, req)
					if err != nil {
						acc.fail(err)
						return
					}
					var n int64
					for {
						_, err := st.Recv(ctx)
						if err == io.EOF {
							break
						}
						if err != nil {
							acc.fail(err)
							return
						}
						n++
					}
					if n != int64(o.count) {
						acc.fail(io.ErrUnexpectedEOF)
						return
					}
					if t.After(start) {
						lat = append(lat, time.Since(t))
						msgs += n
						calls++
					}
				}
				acc.add(lat, msgs, calls)
			}()
		}
		wg.Wait()
		acc.report(v, benchDuration.Seconds())
	}
}
