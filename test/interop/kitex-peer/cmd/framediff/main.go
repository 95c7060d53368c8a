// Command framediff runs Kitex's own TTHeader Streaming frame decoder over byte strings, for the
// differential test test/interop/decoder-differential.spec.ts.
//
// stdin: one JSON object per line, {"hex": "..."}: one byte string that may hold zero, one or
// several frames, or garbage. stdout: one verdict line per input line, in order:
//
//	{"ok": true|false, "incomplete": bool, "frames": [...], "error": "..."}
//
// The bytes are decoded frame after frame with ttstream.DecodeFrame (Kitex v0.16.3), as Kitex's
// read loop does on a connection, until they are used up (ok) or DecodeFrame fails (ok=false;
// "frames" then holds the frames decoded before the failure). "incomplete" is true when the
// failure is the reader running out of bytes (on a socket, Kitex would wait for more), false
// when the bytes themselves are rejected.
//
// Each frame's fields are read from the *ttstream.Frame that DecodeFrame returned (its fields
// are unexported, so through reflect). Every header string is hex, so that non-UTF-8 bytes
// survive JSON. "wire_str" is the frame's string block as gopkg decoded it, present only when
// DecodeFrame dropped it from the Frame (it keeps the block for META, HEADER, TRAILER and RST).
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"

	"github.com/cloudwego/gopkg/bufiox"
	"github.com/cloudwego/gopkg/protocol/ttheader"
	"github.com/cloudwego/kitex/pkg/remote/trans/ttstream"
)

type input struct {
	Hex string `json:"hex"`
}

type frame struct {
	Sid     int32             `json:"sid"`
	Type    int32             `json:"type"`
	Method  string            `json:"method"` // hex
	Int     map[string]string `json:"int"`    // decimal key -> hex value; 27 and 9 included
	Str     map[string]string `json:"str"`    // hex key -> hex value
	WireStr map[string]string `json:"wire_str,omitempty"`
	Payload string            `json:"payload"` // hex
}

type verdict struct {
	OK         bool    `json:"ok"`
	Incomplete bool    `json:"incomplete"`
	Frames     []frame `json:"frames"`
	Error      string  `json:"error,omitempty"`
}

// errNoData is bufiox's unexported "no remaining data left": the reader ran out of bytes.
var errNoData = func() error {
	_, err := bufiox.NewBytesReader(nil).Next(1)
	return err
}()

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			return // EOF (or a read error): every complete line has been answered
		}
		var v verdict
		var req input
		if jerr := json.Unmarshal(line, &req); jerr != nil {
			v.Error = "framediff: bad input line: " + jerr.Error()
		} else if data, herr := hex.DecodeString(req.Hex); herr != nil {
			v.Error = "framediff: bad hex: " + herr.Error()
		} else {
			v = decodeAll(data)
		}
		if err := enc.Encode(v); err != nil {
			fmt.Fprintln(os.Stderr, "framediff:", err)
			os.Exit(1)
		}
	}
}

// decodeAll decodes data frame after frame until it is used up or Kitex rejects it.
func decodeAll(data []byte) verdict {
	v := verdict{Frames: []frame{}}
	ctx := context.Background()
	for pos := 0; pos < len(data); {
		rest := data[pos:]
		// gopkg's Decode on its own reader tells how many bytes the frame takes (DecodeFrame's
		// reader does not say) and whether its payload is truncated.
		dp, derr := ttheader.Decode(ctx, bufiox.NewBytesReader(rest))
		feed := rest
		if derr == nil && dp.PayloadLen > len(rest)-dp.HeaderLen {
			// DecodeFrame allocates PayloadLen bytes before it reads them, and LENGTH can say
			// 4 GiB. Give it the same bytes with LENGTH lowered to one byte more than is left:
			// every check runs as before and the payload read fails the same way.
			feed = append([]byte(nil), rest...)
			binary.BigEndian.PutUint32(feed, uint32(len(rest)-4+1))
		}
		fr, err := ttstream.DecodeFrame(ctx, bufiox.NewBytesReader(feed))
		if err != nil {
			v.Error = err.Error()
			v.Incomplete = errors.Is(err, errNoData)
			return v
		}
		if derr != nil {
			panic("gopkg Decode failed where DecodeFrame succeeded: " + derr.Error())
		}
		f := fromKitex(fr)
		if f.Type == 3 && len(dp.StrInfo) > 0 {
			f.WireStr = hexStrMap(dp.StrInfo)
		}
		v.Frames = append(v.Frames, f)
		// A LENGTH below the header size gives a negative PayloadLen: Kitex reads no payload
		// and the next frame starts right after the header info.
		pos += dp.HeaderLen + max(dp.PayloadLen, 0)
	}
	v.OK = true
	return v
}

// fromKitex reads the unexported fields of Kitex's Frame: {streamFrame{sid, method, meta,
// header, trailer}, typ, payload}. reflect may read, though not export, unexported fields.
func fromKitex(fr *ttstream.Frame) frame {
	rv := reflect.ValueOf(fr).Elem()
	f := frame{
		Sid:     int32(rv.FieldByName("sid").Int()),
		Type:    int32(rv.FieldByName("typ").Int()),
		Method:  hex.EncodeToString([]byte(rv.FieldByName("method").String())),
		Int:     map[string]string{},
		Str:     map[string]string{},
		Payload: hex.EncodeToString(rv.FieldByName("payload").Bytes()),
	}
	for it := rv.FieldByName("meta").MapRange(); it.Next(); {
		f.Int[strconv.FormatUint(it.Key().Uint(), 10)] = hex.EncodeToString([]byte(it.Value().String()))
	}
	for _, name := range []string{"header", "trailer"} {
		for it := rv.FieldByName(name).MapRange(); it.Next(); {
			f.Str[hex.EncodeToString([]byte(it.Key().String()))] = hex.EncodeToString([]byte(it.Value().String()))
		}
	}
	// Cross-check against the Frame's own String(), so that a Kitex upgrade that renames the
	// fields fails loudly here rather than producing zero values.
	method, _ := hex.DecodeString(f.Method)
	if want := fmt.Sprintf("[sid=%d ftype=%d fmethod=%s]", f.Sid, f.Type, method); fr.String() != want {
		panic("reflect read " + want + " but Frame.String() is " + fr.String())
	}
	return f
}

func hexStrMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, val := range m {
		out[hex.EncodeToString([]byte(k))] = hex.EncodeToString([]byte(val))
	}
	return out
}
