// Command tap is a recording TCP proxy for TTHeader Streaming.
//
// It listens on one address, forwards every accepted connection to -target, and records each
// direction's raw bytes split into frames by the 4-byte big-endian LENGTH prefix. Every frame
// becomes one JSON line (see test/interop/README.md, "tap"): the raw hex plus a best-effort
// decode (stream id, frame type, int and string keys, payload). Bytes are forwarded unchanged
// even when they do not parse.
//
// stdout: "LISTENING <addr>" once; the JSON lines go to -out (default stdout).
package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const maxFrame = 64 << 20 // refuse to buffer absurd frames; the tail is recorded as "raw"

type record struct {
	Conn       int64             `json:"conn"`
	Dir        string            `json:"dir"` // "c2s" or "s2c"
	Seq        int64             `json:"seq"` // per-connection, per-direction frame index
	TMs        int64             `json:"t_ms"`
	TUs        int64             `json:"t_us"`
	Len        int               `json:"len"` // total bytes including the LENGTH field
	Hex        string            `json:"hex"`
	Sid        *int32            `json:"sid,omitempty"`
	FrameType  string            `json:"type,omitempty"`
	TypeName   string            `json:"type_name,omitempty"`
	Method     string            `json:"method,omitempty"`
	Flags      string            `json:"flags,omitempty"`
	ProtoID    *int              `json:"proto_id,omitempty"`
	HeaderSize int               `json:"header_bytes,omitempty"`
	IntKeys    map[string]string `json:"int,omitempty"`
	IntOrder   []int             `json:"int_order,omitempty"`
	StrKeys    map[string]string `json:"str,omitempty"`
	StrOrder   []string          `json:"str_order,omitempty"`
	ACL        *string           `json:"acl,omitempty"`
	PayloadLen int               `json:"payload_len"`
	PayloadHex string            `json:"payload_hex,omitempty"`
	DecodeErr  string            `json:"decode_err,omitempty"`
	Event      string            `json:"event,omitempty"` // "open", "close", "raw" for non-frame records
}

var (
	outMu  sync.Mutex
	out    io.Writer = os.Stdout
	connID int64
)

func emit(r *record) {
	b, _ := json.Marshal(r)
	outMu.Lock()
	defer outMu.Unlock()
	_, _ = out.Write(append(b, '\n'))
}

var typeNames = map[string]string{"1": "META", "2": "HEADER", "3": "DATA", "4": "TRAILER", "5": "RST"}

// decode fills r from one complete frame (LENGTH included). It never panics on bad input.
func decode(r *record, f []byte) {
	fail := func(msg string) { r.DecodeErr = msg }
	if len(f) < 16 {
		fail("frame shorter than 16 bytes")
		return
	}
	r.Flags = fmt.Sprintf("0x%04x", binary.BigEndian.Uint16(f[6:8]))
	if binary.BigEndian.Uint16(f[4:6]) != 0x1000 {
		fail("magic is not 0x1000")
		return
	}
	sid := int32(binary.BigEndian.Uint32(f[8:12]))
	r.Sid = &sid
	hsz := int(binary.BigEndian.Uint16(f[12:14])) * 4
	r.HeaderSize = hsz
	if 14+hsz > len(f) {
		fail("header size past end of frame")
		return
	}
	pid := int(f[14])
	r.ProtoID = &pid
	nt := int(f[15])
	p := 16 + nt // transform ids are 1 byte each
	end := 14 + hsz
	if p > end {
		fail("transforms past end of header")
		return
	}
	u16 := func() (int, bool) {
		if p+2 > end {
			return 0, false
		}
		v := int(binary.BigEndian.Uint16(f[p : p+2]))
		p += 2
		return v, true
	}
	str := func() (string, bool) {
		n, ok := u16()
		if !ok || p+n > end {
			return "", false
		}
		s := string(f[p : p+n])
		p += n
		return s, true
	}
	for p < end {
		id := f[p]
		p++
		switch id {
		case 0x00:
			continue
		case 0x01:
			n, ok := u16()
			if !ok {
				fail("truncated string kv count")
				return
			}
			if r.StrKeys == nil {
				r.StrKeys = map[string]string{}
			}
			for i := 0; i < n; i++ {
				k, ok1 := str()
				v, ok2 := str()
				if !ok1 || !ok2 {
					fail("truncated string kv")
					return
				}
				r.StrKeys[k] = v
				r.StrOrder = append(r.StrOrder, k)
			}
		case 0x10:
			n, ok := u16()
			if !ok {
				fail("truncated int kv count")
				return
			}
			if r.IntKeys == nil {
				r.IntKeys = map[string]string{}
			}
			for i := 0; i < n; i++ {
				k, ok1 := u16()
				v, ok2 := str()
				if !ok1 || !ok2 {
					fail("truncated int kv")
					return
				}
				r.IntKeys[strconv.Itoa(k)] = v
				r.IntOrder = append(r.IntOrder, k)
			}
		case 0x11:
			s, ok := str()
			if !ok {
				fail("truncated acl token")
				return
			}
			r.ACL = &s
		default:
			fail(fmt.Sprintf("unknown info id 0x%02x at offset %d", id, p-1))
			return
		}
	}
	r.FrameType = r.IntKeys["27"]
	r.TypeName = typeNames[r.FrameType]
	r.Method = r.IntKeys["9"]
	payload := f[end:]
	r.PayloadLen = len(payload)
	if len(payload) > 0 {
		if len(payload) > 4096 {
			r.PayloadHex = hex.EncodeToString(payload[:4096]) + "..."
		} else {
			r.PayloadHex = hex.EncodeToString(payload)
		}
	}
}

// pump copies src to dst and records src's bytes frame by frame.
func pump(id int64, dir string, dst, src net.Conn, done func()) {
	defer done()
	var (
		buf  []byte
		seq  int64
		tmp  = make([]byte, 64<<10)
		dead bool // framing lost: record the rest raw
	)
	for {
		n, err := src.Read(tmp)
		if n > 0 {
			if _, werr := dst.Write(tmp[:n]); werr != nil {
				err = werr
			}
			buf = append(buf, tmp[:n]...)
			for !dead && len(buf) >= 4 {
				l := int(binary.BigEndian.Uint32(buf[:4]))
				if l > maxFrame || l < 0 {
					dead = true
					break
				}
				if len(buf) < 4+l {
					break
				}
				now := time.Now()
				frame := buf[:4+l]
				r := &record{Conn: id, Dir: dir, Seq: seq, TMs: now.UnixMilli(), TUs: now.UnixMicro(), Len: len(frame), Hex: hex.EncodeToString(frame)}
				decode(r, frame)
				emit(r)
				seq++
				buf = append([]byte(nil), buf[4+l:]...)
			}
			if dead && len(buf) > 0 {
				now := time.Now()
				emit(&record{Conn: id, Dir: dir, Seq: seq, TMs: now.UnixMilli(), TUs: now.UnixMicro(), Event: "raw", Len: len(buf), Hex: hex.EncodeToString(buf)})
				seq++
				buf = buf[:0]
			}
		}
		if err != nil {
			now := time.Now()
			if len(buf) > 0 {
				emit(&record{Conn: id, Dir: dir, Seq: seq, TMs: now.UnixMilli(), TUs: now.UnixMicro(), Event: "raw", Len: len(buf), Hex: hex.EncodeToString(buf), DecodeErr: "incomplete frame at close"})
			}
			emit(&record{Conn: id, Dir: dir, TMs: now.UnixMilli(), TUs: now.UnixMicro(), Event: "close", DecodeErr: errString(err)})
			// propagate half-close, then let the other pump finish
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

func errString(err error) string {
	if err == nil || err == io.EOF {
		return ""
	}
	return err.Error()
}

func serve(c net.Conn, target string) {
	id := atomic.AddInt64(&connID, 1)
	s, err := net.DialTimeout("tcp", target, 2*time.Second)
	now := time.Now()
	if err != nil {
		emit(&record{Conn: id, Event: "open", TMs: now.UnixMilli(), TUs: now.UnixMicro(), DecodeErr: "dial target: " + err.Error()})
		_ = c.Close()
		return
	}
	emit(&record{Conn: id, Event: "open", TMs: now.UnixMilli(), TUs: now.UnixMicro()})
	var wg sync.WaitGroup
	wg.Add(2)
	go pump(id, "c2s", s, c, wg.Done)
	go pump(id, "s2c", c, s, wg.Done)
	wg.Wait()
	_ = c.Close()
	_ = s.Close()
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "127.0.0.1:8888", "address to forward to")
	outPath := flag.String("out", "", "JSON-lines output file (default stdout)")
	maxLife := flag.Duration("max-life", 10*time.Minute, "exit after this long no matter what")
	flag.Parse()

	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		out = f
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	outMu.Lock()
	fmt.Fprintf(os.Stdout, "LISTENING %s\n", ln.Addr().String())
	outMu.Unlock()

	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c, *target)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-time.After(*maxLife):
	}
	_ = ln.Close()
	// give in-flight records a moment to be written
	time.Sleep(100 * time.Millisecond)
	outMu.Lock()
	if f, ok := out.(*os.File); ok {
		_ = f.Sync()
	}
	outMu.Unlock()
}
