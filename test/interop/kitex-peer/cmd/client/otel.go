package main

// OpenTelemetry tracing for the tracing interop test (test/interop/tracing-otel.spec.ts):
// with -otel-stdout <file> the client installs kitex-contrib obs-opentelemetry's client suite and
// writes every finished span as one JSON line (stdouttrace, no pretty print) to <file>. The
// span processor is synchronous, so a span is on disk as soon as it ends. stdout itself stays
// the verdict stream.
//
// Note: the client suite also adds client.WithTransportProtocol(transport.TTHeader), which Kitex
// ORs into the unary shape (Framed -> TTHeader|Framed), so metainfo (the trace context) travels
// on unary calls too.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/kitex-contrib/obs-opentelemetry/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

var otelStdout = flag.String("otel-stdout", os.Getenv("KITEX_PEER_OTEL_STDOUT"),
	"write OpenTelemetry spans (obs-opentelemetry client suite) as JSON lines to this file (default $KITEX_PEER_OTEL_STDOUT; empty = tracing off)")

// otelShutdown flushes and closes the span file; set by otelClientOptions.
var otelShutdown = func() {}

// otelClientOptions returns the tracing client options (none when -otel-stdout is empty).
// name is the service.name of the client's resource (sent as RPC_TRANSIT_service.name).
func otelClientOptions(name string) ([]client.Option, error) {
	if *otelStdout == "" {
		return nil, nil
	}
	f, err := os.OpenFile(*otelStdout, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("-otel-stdout: %w", err)
	}
	exp, err := stdouttrace.New(stdouttrace.WithWriter(f))
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("stdouttrace: %w", err)
	}
	open := &openSpans{}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp),         // synchronous: exported when the span ends
		sdktrace.WithSpanProcessor(open), // after the exporter: 0 open = all exported
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
	)
	// The tracer provider and propagator are read from the otel globals when the suite is built.
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otelShutdown = func() {
		open.wait(2 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
		_ = f.Close()
	}
	return []client.Option{client.WithSuite(tracing.NewClientSuite())}, nil
}

// openSpans counts the spans started and not yet ended. Kitex ends a stream's client span from
// its own goroutine once the stream is done, which can be just after the scenario returned; the
// exit waits (bounded) for those so that no span is lost.
type openSpans struct{ n atomic.Int64 }

func (o *openSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) { o.n.Add(1) }
func (o *openSpans) OnEnd(sdktrace.ReadOnlySpan)                     { o.n.Add(-1) }
func (o *openSpans) Shutdown(context.Context) error                  { return nil }
func (o *openSpans) ForceFlush(context.Context) error                { return nil }

// wait returns once every started span has ended, or after max.
func (o *openSpans) wait(max time.Duration) {
	deadline := time.Now().Add(max)
	for o.n.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
