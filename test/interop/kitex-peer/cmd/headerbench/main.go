// Command headerbench times Kitex's own TTHeader Streaming frame decoder on the frames that
// bench/headers.bench.ts builds, so the two decoders are measured on the same bytes.
//
// stdin: one JSON object per line, {"name": "...", "hex": "...", "iterations": N}: one whole
// frame. stdout: one line per input, {"name": "...", "bestNsPerOp": n, "medianNsPerOp": n,
// "keys": k}: the frame is decoded with ttstream.DecodeFrame (Kitex v0.16.3) N times in each of
// five rounds; each round's time per decode is recorded.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"time"

	"github.com/cloudwego/gopkg/bufiox"
	"github.com/cloudwego/kitex/pkg/remote/trans/ttstream"
)

type input struct {
	Name       string `json:"name"`
	Hex        string `json:"hex"`
	Iterations int    `json:"iterations"`
}

type result struct {
	Name          string  `json:"name"`
	BestNsPerOp   float64 `json:"bestNsPerOp"`
	MedianNsPerOp float64 `json:"medianNsPerOp"`
	Keys          int     `json:"keys"`
	Error         string  `json:"error,omitempty"`
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	enc := json.NewEncoder(os.Stdout)
	ctx := context.Background()
	for {
		line, err := in.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			return
		}
		var req input
		var res result
		if jerr := json.Unmarshal(line, &req); jerr != nil {
			res.Error = jerr.Error()
		} else if data, herr := hex.DecodeString(req.Hex); herr != nil {
			res.Error = herr.Error()
		} else {
			res = measure(ctx, req.Name, data, max(req.Iterations, 1))
		}
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, "headerbench:", err)
			os.Exit(1)
		}
	}
}

func measure(ctx context.Context, name string, data []byte, iterations int) result {
	res := result{Name: name}
	// One decode first: its error (if any) and the key count; it also warms up.
	fr, err := ttstream.DecodeFrame(ctx, bufiox.NewBytesReader(data))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Keys = reflect.ValueOf(fr).Elem().FieldByName("header").Len()
	rounds := make([]float64, 5)
	for r := range rounds {
		start := time.Now()
		for i := 0; i < iterations; i++ {
			if _, err := ttstream.DecodeFrame(ctx, bufiox.NewBytesReader(data)); err != nil {
				res.Error = err.Error()
				return res
			}
		}
		rounds[r] = float64(time.Since(start).Nanoseconds()) / float64(iterations)
	}
	sort.Float64s(rounds)
	res.BestNsPerOp = rounds[0]
	res.MedianNsPerOp = rounds[len(rounds)/2]
	return res
}
