package exportsheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"sync"
)

// ChunkSize is how much of an entry one worker deflates at a time.
const ChunkSize = 256 << 10

// ZipWriter writes a zip archive straight to an io.Writer (a response, a file),
// deflating each entry on several cores: an entry is cut into ChunkSize pieces, each
// deflated on its own and ended with a sync flush, so the pieces joined in order are
// one valid deflate stream (pigz does the same). Memory stays bounded by the pieces
// in flight, whatever the archive's size. It implements excelize.ZipWriter, whose
// default (archive/zip over a bytes.Buffer, deflating on one core) holds the whole
// workbook in memory before the first byte leaves.
//
// Entries must be written one after another, as with archive/zip.
type ZipWriter struct {
	zw      *zip.Writer
	level   int
	workers int
	jobs    chan *piece
	wg      sync.WaitGroup
	cur     *entry
	closed  bool
	free    chan *piece
}

// NewZipWriter starts workers deflaters at the given flate level (flate.BestSpeed is
// a good trade for a download: about three times faster than archive/zip's level 5
// for a tenth more bytes).
func NewZipWriter(w io.Writer, level, workers int) *ZipWriter {
	workers = max(workers, 1)
	z := &ZipWriter{zw: zip.NewWriter(w), level: level, workers: workers,
		jobs: make(chan *piece), free: make(chan *piece, workers+1)}
	z.zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, level)
	})
	for range workers {
		z.wg.Add(1)
		go z.work()
	}
	return z
}

// piece is one chunk of an entry on its way through a worker.
type piece struct {
	in   []byte
	out  bytes.Buffer
	last bool
	err  error
	done chan struct{}
}

func (z *ZipWriter) work() {
	defer z.wg.Done()
	var fw *flate.Writer
	for p := range z.jobs {
		if fw == nil {
			fw, p.err = flate.NewWriter(&p.out, z.level)
		} else {
			fw.Reset(&p.out)
		}
		if p.err == nil {
			_, p.err = fw.Write(p.in)
		}
		if p.err == nil {
			if p.last {
				p.err = fw.Close()
			} else {
				p.err = fw.Flush() // byte-aligned, not final: the next piece continues the stream
			}
		}
		close(p.done)
	}
}

func (z *ZipWriter) newPiece() *piece {
	select {
	case p := <-z.free:
		p.in, p.last, p.err, p.done = p.in[:0], false, nil, make(chan struct{})
		p.out.Reset()
		return p
	default:
		return &piece{in: make([]byte, 0, ChunkSize), done: make(chan struct{})}
	}
}

// entry is the file being written: its raw (already deflated) zip writer, the
// pieces in flight in order, and the running CRC and sizes.
type entry struct {
	z       *ZipWriter
	raw     io.Writer
	fh      *zip.FileHeader
	fill    *piece
	pending []*piece
	crc     uint32
	size    int64
	csize   int64
	err     error
}

// Create starts a new entry; the previous one is finished first.
func (z *ZipWriter) Create(name string) (io.Writer, error) {
	if err := z.finish(); err != nil {
		return nil, err
	}
	fh := &zip.FileHeader{Name: name, Method: zip.Deflate}
	fh.Flags |= 0x8 // sizes and CRC follow the data, in a data descriptor
	raw, err := z.zw.CreateRaw(fh)
	if err != nil {
		return nil, err
	}
	z.cur = &entry{z: z, raw: raw, fh: fh, fill: z.newPiece()}
	return z.cur, nil
}

// AddFS adds the files of fsys (deflated on one core: they are small).
func (z *ZipWriter) AddFS(fsys fs.FS) error {
	if err := z.finish(); err != nil {
		return err
	}
	return z.zw.AddFS(fsys)
}

// Close finishes the last entry, writes the central directory and stops the workers.
// It does not close the underlying writer.
func (z *ZipWriter) Close() error {
	if z.closed {
		return errors.New("exportsheet: zip writer closed twice")
	}
	err := z.finish()
	z.stop()
	if err != nil {
		return err
	}
	return z.zw.Close()
}

// Abort stops the workers without finishing the archive (after a failed write).
func (z *ZipWriter) Abort() {
	if !z.closed {
		if z.cur != nil {
			for _, p := range z.cur.pending {
				<-p.done
			}
			z.cur = nil
		}
		z.stop()
	}
}

func (z *ZipWriter) stop() {
	z.closed = true
	close(z.jobs)
	z.wg.Wait()
}

func (z *ZipWriter) finish() error {
	if z.closed {
		return errors.New("exportsheet: zip writer closed")
	}
	e := z.cur
	if e == nil {
		return nil
	}
	z.cur = nil
	if e.err != nil {
		return e.err
	}
	e.fill.last = true
	e.send()
	for len(e.pending) > 0 {
		if err := e.drain(); err != nil {
			return err
		}
	}
	e.fh.CRC32 = e.crc
	e.fh.CompressedSize64, e.fh.UncompressedSize64 = uint64(e.csize), uint64(e.size)
	e.fh.CompressedSize = uint32(min(e.fh.CompressedSize64, 0xFFFFFFFF))
	e.fh.UncompressedSize = uint32(min(e.fh.UncompressedSize64, 0xFFFFFFFF))
	return nil
}

// Write buffers p into pieces and hands every full piece to a worker.
func (e *entry) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n := len(p)
	e.crc = crc32.Update(e.crc, crc32.IEEETable, p)
	e.size += int64(n)
	for len(p) > 0 {
		k := min(len(p), ChunkSize-len(e.fill.in))
		e.fill.in = append(e.fill.in, p[:k]...)
		p = p[k:]
		if len(e.fill.in) == ChunkSize {
			e.full()
			if e.err != nil {
				return n - len(p), e.err
			}
		}
	}
	return n, nil
}

// ReadFrom reads r straight into the pieces (io.Copy uses it): the entry's bytes are
// copied once, not twice, with a few large reads instead of many 32 KB ones.
func (e *entry) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if e.err != nil {
			return total, e.err
		}
		in := e.fill.in
		n, err := r.Read(in[len(in):cap(in)])
		if n > 0 {
			e.crc = crc32.Update(e.crc, crc32.IEEETable, in[len(in):len(in)+n])
			e.size += int64(n)
			total += int64(n)
			e.fill.in = in[:len(in)+n]
			if len(e.fill.in) == ChunkSize {
				e.full()
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// full hands the filled piece to a worker and starts a new one.
func (e *entry) full() {
	e.send()
	e.fill = e.z.newPiece()
	// Keep about one piece per worker in flight: memory stays bounded (a few MB)
	// and the output leaves in order as soon as it is ready.
	for len(e.pending) > e.z.workers && e.err == nil {
		e.err = e.drain()
	}
}

func (e *entry) send() {
	e.pending = append(e.pending, e.fill)
	e.z.jobs <- e.fill
}

// drain writes out the oldest piece in flight once its worker is done.
func (e *entry) drain() error {
	p := e.pending[0]
	<-p.done
	e.pending = e.pending[1:]
	if p.err != nil {
		return p.err
	}
	n, err := e.raw.Write(p.out.Bytes())
	e.csize += int64(n)
	select {
	case e.z.free <- p:
	default:
	}
	return err
}
