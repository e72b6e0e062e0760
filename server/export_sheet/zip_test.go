package exportsheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"
)

func TestZipWriterRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	text := func(n int) []byte {
		return []byte(strings.Repeat("<row r=\"1\"><c t=\"inlineStr\"><is><t>建议第十七条增加扶持措施</t></is></c></row>", n/80+1))[:n]
	}
	entries := []struct {
		name string
		data []byte
	}{
		{"empty.xml", nil},
		{"one.xml", []byte("x")},
		{"below.xml", text(ChunkSize - 1)},
		{"exact.xml", text(ChunkSize)},
		{"above.xml", text(ChunkSize + 1)},
		{"xl/worksheets/sheet2.xml", text(3*ChunkSize + ChunkSize/2)},
		{"random.bin", random(2*ChunkSize + 12345)},
		{"exact-multiple.xml", text(4 * ChunkSize)},
	}
	for _, workers := range []int{1, 2, 5} {
		for _, level := range []int{flate.BestSpeed, flate.DefaultCompression} {
			if level != flate.BestSpeed && workers != 2 {
				continue
			}
			t.Run(fmt.Sprintf("workers=%d level=%d", workers, level), func(t *testing.T) {
				var out bytes.Buffer
				z := NewZipWriter(&out, level, workers)
				for i, e := range entries {
					w, err := z.Create(e.name)
					if err != nil {
						t.Fatal(err)
					}
					if i%2 == 1 { // through ReadFrom, as io.Copy from excelize's temporary file
						rf, ok := w.(io.ReaderFrom)
						if !ok {
							t.Fatal("no ReadFrom")
						}
						if n, err := rf.ReadFrom(iotest.HalfReader(bytes.NewReader(e.data))); err != nil || n != int64(len(e.data)) {
							t.Fatalf("ReadFrom %d, %v", n, err)
						}
						continue
					}
					// Odd write sizes, as excelize makes them.
					for rest := e.data; len(rest) > 0; {
						k := min(len(rest), 1+r.IntN(300000))
						if _, err := w.Write(rest[:k]); err != nil {
							t.Fatal(err)
						}
						rest = rest[k:]
					}
				}
				if err := z.AddFS(fstest.MapFS{"docProps/app.xml": {Data: []byte("<app/>")}}); err != nil {
					t.Fatal(err)
				}
				if err := z.Close(); err != nil {
					t.Fatal(err)
				}
				zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
				if err != nil {
					t.Fatal(err)
				}
				if n := len(zr.File); n != len(entries)+2 || zr.File[n-1].Name != "docProps/app.xml" { // AddFS adds "docProps/" too
					t.Fatalf("%d files", len(zr.File))
				}
				for i, zf := range zr.File[:len(entries)] {
					rc, err := zf.Open()
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(rc) // checks the CRC and size at EOF
					rc.Close()
					if err != nil {
						t.Fatalf("%s: %v", zf.Name, err)
					}
					if zf.Name != entries[i].name || !bytes.Equal(got, entries[i].data) || zf.Method != zip.Deflate {
						t.Errorf("%s: %d bytes back of %d, method %d", zf.Name, len(got), len(entries[i].data), zf.Method)
					}
				}
				// The whole archive also reads as one deflate stream per entry with
				// the standard decompressor (not only through archive/zip's reader).
				zf := zr.File[5]
				raw, err := zf.OpenRaw()
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(flate.NewReader(raw))
				if err != nil || !bytes.Equal(got, entries[5].data) {
					t.Errorf("raw inflate: %d bytes, %v", len(got), err)
				}
			})
		}
	}
}

func TestZipWriterCompresses(t *testing.T) {
	data := []byte(strings.Repeat("<row r=\"1\"><c t=\"inlineStr\"><is><t>建议第十七条增加扶持措施</t></is></c></row>", 100000))
	var out bytes.Buffer
	z := NewZipWriter(&out, flate.BestSpeed, 2)
	w, _ := z.Create("a.xml")
	w.Write(data)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if out.Len() > len(data)/10 {
		t.Errorf("%d bytes for %d of repetitive XML", out.Len(), len(data))
	}
}

type failWriter struct{ after int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errDisk
	}
	f.after -= len(p)
	return len(p), nil
}

func TestZipWriterReportsWriteErrors(t *testing.T) {
	z := NewZipWriter(&failWriter{after: 1000}, flate.BestSpeed, 2)
	w, err := z.Create("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 5*ChunkSize)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	_, werr := w.Write(buf)
	cerr := z.Close()
	if !errors.Is(werr, errDisk) && !errors.Is(cerr, errDisk) {
		t.Fatalf("write %v, close %v", werr, cerr)
	}
	if err := z.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	z.Abort() // a no-op now
}

func TestZipWriterAbortStopsWorkers(t *testing.T) {
	z := NewZipWriter(io.Discard, flate.BestSpeed, 3)
	w, _ := z.Create("a")
	w.Write(make([]byte, 3*ChunkSize+5))
	z.Abort()
	if _, err := z.Create("b"); err == nil {
		t.Error("Create after Abort succeeded")
	}
}
