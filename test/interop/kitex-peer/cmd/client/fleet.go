// The fleet scenario of test/interop/discovery-mixed-fleet.spec.ts. Registered in the scenario
// map only, so `-scenario all` and `-scenario list` leave it out.
//
//	fleet_unary   -calls EchoUnary calls {"<-message>-<i>", count i}, -concurrency in flight, through
//	              the client's resolver (-etcd: kitex-contrib registry-etcd) and Kitex's default
//	              balancer (weighted round robin). Every reply must match its call.
//
// The verdict's extra holds {calls, ok, failed, first_errors, by_address, load_ms}; by_address
// counts the calls by the instance Kitex's balancer picked for them (read in a client
// middleware from the call's RPCInfo), so that the spec can set Kitex's own picks beside the
// calls each server says it served.
package main

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/rpcinfo"

	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo"
	"github.com/nestjs-ttstream/kitex-peer/kitex_gen/echo/testservice"
)

var fleetCalls = flag.Int("calls", 10000, "fleet_unary: number of EchoUnary calls")

// pickCounter counts calls by the address of the instance each one went to.
type pickCounter struct {
	mu     sync.Mutex
	counts map[string]int64
}

// middleware runs outside Kitex's resolve/balance middleware: once next returns, the call's
// RPCInfo names the instance that was picked.
func (p *pickCounter) middleware(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req, resp interface{}) error {
		err := next(ctx, req, resp)
		addr := "unknown"
		if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.To() != nil && ri.To().Address() != nil {
			addr = ri.To().Address().String()
		}
		p.mu.Lock()
		p.counts[addr]++
		p.mu.Unlock()
		return err
	}
}

func init() {
	scenarios["fleet_unary"] = func(v *Verdict) {
		v.Method = "EchoUnary"
		v.Expect = "-calls EchoUnary calls through the resolver and Kitex's default balancer, -concurrency in flight; every reply matches its call"
		ctx, cancel := baseCtx()
		defer cancel()
		picks := &pickCounter{counts: map[string]int64{}}
		cos, err := clientOptions()
		if err != nil {
			v.fail("%v", err)
			return
		}
		// A client of its own, so that the counting middleware sees every call of this scenario.
		fc, err := testservice.NewClient("echo", append(cos, client.WithMiddleware(picks.middleware))...)
		if err != nil {
			v.fail("%v", err)
			return
		}
		var next, okN, failN int64
		var mu sync.Mutex
		var firstErrs []string
		var wg sync.WaitGroup
		t := time.Now()
		for c := 0; c < o.concurrency; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := atomic.AddInt64(&next, 1) - 1
					if i >= int64(*fleetCalls) {
						return
					}
					m := fmt.Sprintf("%s-%d", o.message, i)
					r, err := fc.EchoUnary(ctx, &echo.Request{Message: m, Count: int32(i)})
					if err == nil && r != nil && r.Message == m && r.Index == int32(i) {
						atomic.AddInt64(&okN, 1)
						continue
					}
					atomic.AddInt64(&failN, 1)
					mu.Lock()
					if len(firstErrs) < 5 {
						firstErrs = append(firstErrs, fmt.Sprintf("call %d: %+v %v", i, r, err))
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		picks.mu.Lock()
		byAddr := picks.counts
		picks.mu.Unlock()
		v.Extra = map[string]any{
			"calls": *fleetCalls, "ok": okN, "failed": failN, "first_errors": firstErrs,
			"by_address": byAddr, "load_ms": time.Since(t).Milliseconds(),
		}
		if failN > 0 || okN != int64(*fleetCalls) {
			v.fail("%d of %d calls failed", failN, *fleetCalls)
		}
	}
}
