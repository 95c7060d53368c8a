package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode checks that Kitex's decoder, driven as framediff drives it, never panics and
// always returns a consistent verdict. Seeds: the golden frames captured from Kitex.
//
//	go test ./cmd/framediff -run '^$' -fuzz FuzzDecode -fuzztime 60s
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob("../../../../fixtures/kitex/*.hex")
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden frames found (err=%v)", err)
	}
	for _, name := range files {
		f.Add(goldenBytes(f, name))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := decodeAll(data)
		if v.OK != (v.Error == "") || (v.OK && v.Incomplete) {
			t.Fatalf("inconsistent verdict %+v for %x", v, data)
		}
	})
}

// goldenBytes reads a test/fixtures/kitex/*.hex file: '#' lines are comments, the rest is hex.
func goldenBytes(f *testing.F, name string) []byte {
	text, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	var digits strings.Builder
	for _, line := range strings.Split(string(text), "\n") {
		if !strings.HasPrefix(line, "#") {
			digits.WriteString(strings.TrimSpace(line))
		}
	}
	data, err := hex.DecodeString(digits.String())
	if err != nil {
		f.Fatalf("%s: %v", name, err)
	}
	return data
}
