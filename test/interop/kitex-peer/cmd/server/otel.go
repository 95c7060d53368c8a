package main

// OpenTelemetry tracing for the tracing interop test (test/interop/tracing-otel.spec.ts):
// with -otel-stdout <file> the server installs kitex-contrib obs-opentelemetry's server suite and
// writes every finished span as one JSON line (stdouttrace, no pretty print) to <file>. The
// span processor is synchronous, so a span is on disk as soon as it ends; nothing is lost when
// the process exits. stdout itself stays the event log.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/server"
	"github.com/kitex-contrib/obs-opentelemetry/tracing"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

var otelStdout = flag.String("otel-stdout", os.Getenv("KITEX_PEER_OTEL_STDOUT"),
	"write OpenTelemetry spans (obs-opentelemetry server suite) as JSON lines to this file (default $KITEX_PEER_OTEL_STDOUT; empty = tracing off)")

// otelServerOptions returns the tracing server options and a shutdown function (a no-op when
// -otel-stdout is empty). name is the server's service name: the rpc.service attribute of its
// spans (server.WithServerBasicInfo) and the service.name of its resource.
func otelServerOptions(name string) ([]server.Option, func(), error) {
	if *otelStdout == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(*otelStdout, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("-otel-stdout: %w", err)
	}
	exp, err := stdouttrace.New(stdouttrace.WithWriter(f))
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("stdouttrace: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp), // synchronous: exported when the span ends
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
	)
	// The tracer provider and propagator are read from the otel globals when the suite is built.
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	opts := []server.Option{
		server.WithSuite(tracing.NewServerSuite()),
		server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: name}),
	}
	shutdown := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
		_ = f.Close()
	}
	return opts, shutdown, nil
}
