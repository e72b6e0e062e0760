package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime/debug"
	"strings"

	"consult/store/dedupe"
)

// ErrNotAlone is returned by BeginBulkImport when another process (the portal, say)
// has the database open: a bulk import would keep its writes out for minutes, so the
// import runs in small transactions instead (ImportComments).
var ErrNotAlone = errors.New("store: the database is open in another process")

// BulkImport is a large import into a database that this process has to itself.
//
// A comment stored one at a time costs an entry in each of the comments table's
// indexes, eight of which have random keys (tracking, submission key, normalised hash,
// five MinHash bands); received dates of letters are random too, and so are the group
// index's entries of copies that join old groups. Once those outgrow the page cache
// every transaction rewrites thousands of their pages, and an import of a million rows
// is mostly page writes. So a bulk import drops those indexes (bulkDropped; into an
// empty table the two unique ones too, bulkDroppedWhenEmpty; each recorded in
// bulk_import_indexes first), stores the rows as
// ImportComments does in transactions of bulkCommitRows, finds duplicate groups in
// memory (dupIndex: the normalised hash, bands and a sketch of the signature of every
// comment of the consultation, about 110 bytes a comment) and builds the indexes again,
// sorted, in Finish. If the process is killed, the rows committed so far stay (a new
// run skips them) and the next Open builds the indexes. No other process can open the
// database meanwhile (ErrBulkImportRunning).
type BulkImport struct {
	s                 *Store
	cid               int64
	next              int64 // the id of the next comment
	ins, byKey, sigOf *sql.Stmt
	dup               *dupIndex
	tx                *sql.Tx // open until it holds commitRows comments
	inTx, commitRows  int
	cacheSize         int  // the writer's, restored by Finish
	empty             bool // the comments table was empty when it began
	broken, done      bool
}

// bulkCommitRows is how many comments a bulk import commits at once: the pages of the
// random-keyed indexes that remain (tracking number, submission key) are written once
// per commit, and more rows share each of them.
const bulkCommitRows = 20_000

// bulkDropped are the indexes a bulk import drops: those whose keys are random, so
// that each comment's entry lands on a page of its own. The others (by id, status,
// section, identity and channel) grow at a few places each, whose pages stay in the
// cache, and are kept up to date as usual.
var bulkDropped = []any{"comments_norm", "comments_band0", "comments_band1", "comments_band2", "comments_band3",
	"comments_band4", "comments_consultation_created", "comments_group"}

// bulkDroppedWhenEmpty are the unique indexes that a bulk import into an empty
// comments table drops too (its largest random-keyed ones: a page of each per comment,
// rewritten at every commit). No stored comment can share a tracking number or a
// submission key with the file's then, and the file's submission keys are distinct
// by construction (a hash of the row and its occurrence); a tracking number drawn
// twice, or given twice by the file, is drawn again when the index is built
// (repairUnique).
var bulkDroppedWhenEmpty = []any{"comments_tracking", "comments_submission_key"}

// BeginBulkImport starts a bulk import of about expect comments into a consultation.
// It returns ErrNotAlone when another process has the database open. Finish must be
// called, whatever happens in between.
func (s *Store) BeginBulkImport(ctx context.Context, consultationID int64, expect int) (_ *BulkImport, err error) {
	if !s.lock.tryExclusive() {
		return nil, ErrNotAlone
	}
	ctx = context.WithoutCancel(ctx) // see ImportComments; Add checks its context
	b := &BulkImport{s: s, cid: consultationID, commitRows: bulkCommitRows}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.Finish(ctx))
		}
	}()
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM comments`).Scan(&b.next); err != nil {
		return nil, fmt.Errorf("store: bulk import: %w", err)
	}
	if b.next+int64(expect) >= math.MaxUint32 {
		return nil, errors.New("store: bulk import: comment ids beyond 2^32")
	}
	if b.dup, err = loadDupIndex(ctx, s.w, consultationID, expect); err != nil {
		return nil, err
	}
	dropped := bulkDropped
	if b.empty = b.next == 1; b.empty {
		dropped = append(dropped[:len(dropped):len(dropped)], bulkDroppedWhenEmpty...)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO bulk_import_indexes (name, sql)
			SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'comments' AND sql IS NOT NULL
			AND name IN (?`+strings.Repeat(",?", len(dropped)-1)+`)`, dropped...); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM bulk_import_indexes ORDER BY name`)
		if err != nil {
			return err
		}
		var names []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return err
			}
			names = append(names, name)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, name := range names {
			if _, err := tx.ExecContext(ctx, `DROP INDEX IF EXISTS "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: bulk import: drop indexes: %w", err)
	}
	if b.ins, err = s.w.PrepareContext(ctx, importInsert); err != nil {
		return nil, err
	}
	if b.byKey, err = s.w.PrepareContext(ctx, `SELECT 1 FROM comments WHERE submission_key = ?`); err != nil {
		return nil, err
	}
	if b.sigOf, err = s.w.PrepareContext(ctx, `SELECT minhash FROM comments WHERE id = ?`); err != nil {
		return nil, err
	}
	// The pages a bulk import revisits (the tails of the table, the FTS index and the
	// indexes kept) fit in 32 MiB; the rest of the memory is the duplicate index's.
	if err := s.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&b.cacheSize); err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, `PRAGMA cache_size = -32768`); err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, bulkFTSMerge); err != nil {
		return nil, err
	}
	return b, nil
}

// Add stores comments as ImportComments does (skipping those imported before), in the
// transaction that is open until it holds commitRows comments (Finish commits the
// last), and returns how many were added.
func (b *BulkImport) Add(ctx context.Context, batch *ImportBatch) (added int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if b.broken {
		return 0, errors.New("store: bulk import: an earlier batch failed")
	}
	ctx = context.WithoutCancel(ctx)
	defer func() {
		if err != nil {
			b.broken = true
			if b.tx != nil {
				_ = b.tx.Rollback()
				b.tx = nil
			}
			b.s.health.note(err)
			err = fmt.Errorf("store: bulk import: %w", err)
		}
	}()
	if b.tx == nil {
		if b.tx, err = b.s.w.BeginTx(ctx, nil); err != nil {
			return 0, err
		}
		b.inTx = 0
	}
	tx := b.tx
	sigOf := tx.StmtContext(ctx, b.sigOf)
	find := func(ctx context.Context, _ *sql.Tx, _, _ int64, fp dedupe.Fingerprint) (int64, error) {
		return b.dup.findGroup(ctx, sigOf, fp)
	}
	// Into an empty table no row can have been imported before (and the submission-key
	// index is gone).
	var byKey *sql.Stmt
	if !b.empty {
		byKey = tx.StmtContext(ctx, b.byKey)
	}
	// The index learns each comment as it is written, so the batch's later comments
	// find it; if the batch fails, so does every later Add.
	if added, err = b.s.importRows(ctx, tx, tx.StmtContext(ctx, b.ins), byKey, batch.cs, batch.fps, &b.next, find, b.dup.add); err != nil {
		return 0, err
	}
	if b.inTx += len(batch.cs); b.inTx >= b.commitRows {
		err = b.tx.Commit()
		b.tx = nil
		b.s.health.note(err)
	}
	return added, err
}

// Empty reports whether the comments table was empty when the import began: then no
// stored comment can match a row of the file, and the tracking-number and
// submission-key indexes are not there to look one up until Finish.
func (b *BulkImport) Empty() bool { return b.empty }

// Finish builds the dropped indexes again and lets other processes in. It is called
// once the rows are in, or after a failure; calling it again does nothing.
func (b *BulkImport) Finish(ctx context.Context) error {
	if b.done {
		return nil
	}
	b.done = true
	var err error
	if b.tx != nil {
		err = b.tx.Commit()
		b.tx = nil
		b.s.health.note(err)
		if err != nil {
			err = fmt.Errorf("store: bulk import: commit: %w", err)
		}
	}
	for _, st := range []*sql.Stmt{b.ins, b.byKey, b.sigOf} {
		if st != nil {
			st.Close()
		}
	}
	b.dup = nil
	debug.FreeOSMemory() // the index's hundred bytes a comment, before the sorter needs memory
	err = errors.Join(err, b.s.rebuildIndexes(context.WithoutCancel(ctx)))
	if b.cacheSize != 0 {
		_, cerr := b.s.w.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, b.cacheSize))
		err = errors.Join(err, cerr)
	}
	err = errors.Join(err, b.s.setFTSMerge(context.WithoutCancel(ctx)))
	b.s.lock.shared()
	return err
}

// rebuildIndexes builds the indexes a bulk import dropped, each in a transaction of
// its own with its bulk_import_indexes row deleted.
func (s *Store) rebuildIndexes(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, `SELECT name, sql FROM bulk_import_indexes ORDER BY name`)
	if err != nil {
		return fmt.Errorf("store: rebuild indexes: %w", err)
	}
	type index struct{ name, sql string }
	var todo []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, ix)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(todo) == 0 {
		return nil
	}
	// Two sorter threads: the machine's database work is this process's alone.
	if _, err := s.w.ExecContext(ctx, `PRAGMA threads = 2`); err != nil {
		return err
	}
	defer s.w.ExecContext(ctx, `PRAGMA threads = 0`)
	for _, ix := range todo {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = ?`, ix.name).Scan(&n); err != nil {
				return err
			}
			for attempt := 0; n == 0; attempt++ {
				_, err := tx.ExecContext(ctx, ix.sql)
				if err == nil {
					break
				}
				if !isUnique(err) || attempt == 3 {
					return err
				}
				if err := repairUnique(ctx, tx, ix.name); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM bulk_import_indexes WHERE name = ?`, ix.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: rebuild index %s: %w", ix.name, err)
		}
	}
	return nil
}

// repairUnique makes a unique index that a bulk import dropped buildable: of the
// comments sharing a tracking number (drawn twice, or given twice by the file) every
// one after the first draws a new number, and of those sharing a submission key (two
// rows with the same 120-bit hash) every one after the first gets its id appended.
func repairUnique(ctx context.Context, tx *sql.Tx, index string) error {
	col, ok := map[string]string{"comments_tracking": "tracking", "comments_submission_key": "submission_key"}[index]
	if !ok {
		return fmt.Errorf("store: index %s: no repair for a duplicate key", index)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, `+col+` FROM comments WHERE `+col+` IN
		(SELECT `+col+` FROM comments WHERE `+col+` IS NOT NULL GROUP BY `+col+` HAVING COUNT(*) > 1) ORDER BY `+col+`, id`)
	if err != nil {
		return err
	}
	var later []int64
	var prev string
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return err
		}
		if key == prev {
			later = append(later, id)
		}
		prev = key
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, id := range later {
		var err error
		if col == "tracking" {
			_, err = tx.ExecContext(ctx, `UPDATE comments SET tracking = ? WHERE id = ?`, NewTrackingNumber(), id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE comments SET submission_key = submission_key || '#' || id WHERE id = ?`, id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// findGroup is Store.findGroup on the in-memory index: the group of the first comment
// with the same normalised text, else of the most recent (of up to 64 per band) whose
// signature is similar enough.
func (d *dupIndex) findGroup(ctx context.Context, sigOf *sql.Stmt, fp dedupe.Fingerprint) (int64, error) {
	if slot := d.norm.find(normKey(fp.Hash)); slot != 0 {
		return int64(d.gids[slot-1]), nil
	}
	if !fp.Comparable() {
		return 0, nil
	}
	var sketch [sketchLen]byte
	sketchOf(&sketch, fp.Sig)
	for band := range dedupe.NumBands {
		tried := 0
		for slot := d.band[band].find(bandKey(fp.Bands[band])); slot != 0 && tried < nearCandidates; slot = d.prev[band][slot-1] {
			tried++
			// The sketch matches wherever the signature does, so a candidate it puts
			// below the threshold is below it; one above is checked on its signature.
			same := 0
			for i, v := range d.sketch[int(slot-1)*sketchLen:][:sketchLen] {
				x := v ^ sketch[i]
				if x&0x0f == 0 {
					same++
				}
				if x&0xf0 == 0 {
					same++
				}
			}
			if float64(same)/float64(len(fp.Sig)) < dedupe.Threshold {
				continue
			}
			var blob []byte
			if err := sigOf.QueryRowContext(ctx, d.ids[slot-1]).Scan(&blob); err != nil {
				return 0, fmt.Errorf("near-duplicate look-up: %w", err)
			}
			if dedupe.Similarity(fp, dedupe.Fingerprint{Sig: dedupe.SigFromBytes(blob)}) >= dedupe.Threshold {
				return int64(d.gids[slot-1]), nil
			}
		}
	}
	return 0, nil
}

// sketchLen is the length of a signature's sketch: the low four bits of each MinHash
// value, two to a byte.
const sketchLen = len(dedupe.Fingerprint{}.Sig) / 2

func sketchOf(dst *[sketchLen]byte, sig [2 * sketchLen]uint32) {
	for i := range dst {
		dst[i] = byte(sig[2*i]&0x0f) | byte(sig[2*i+1]&0x0f)<<4
	}
}

// dupIndex holds what the duplicate look-ups of a consultation read, for a bulk
// import: per comment (a slot) its id and group, and the previous slot of each band's
// chain and a sketch of its signature (so that most candidates are passed over without
// reading their signature); tables from a normalised hash to its first slot and from a
// band value to its latest slot. Slots are numbered from 1; 0 is none. About 110 bytes
// a comment.
type dupIndex struct {
	ids, gids []uint32
	sketch    []byte // sketchLen a slot
	prev      [dedupe.NumBands][]uint32
	norm      keyTable[uint64]
	band      [dedupe.NumBands]keyTable[uint32]
}

func loadDupIndex(ctx context.Context, tx *sql.DB, consultationID int64, expect int) (*dupIndex, error) {
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM section_counts WHERE consultation_id = ?`, consultationID).Scan(&have); err != nil {
		return nil, fmt.Errorf("store: bulk import: %w", err)
	}
	n := have + expect
	d := &dupIndex{ids: make([]uint32, 0, n), gids: make([]uint32, 0, n), sketch: make([]byte, 0, n*sketchLen),
		norm: newKeyTable[uint64](n)}
	for b := range d.prev {
		d.prev[b] = make([]uint32, 0, n)
		d.band[b] = newKeyTable[uint32](n)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, group_id, norm_hash, band0, band1, band2, band3, band4, minhash
		FROM comments WHERE consultation_id = ? ORDER BY id`, consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: bulk import: duplicates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, gid int64
		var fp dedupe.Fingerprint
		var sig []byte
		if err := rows.Scan(&id, &gid, &fp.Hash, &fp.Bands[0], &fp.Bands[1], &fp.Bands[2], &fp.Bands[3], &fp.Bands[4], &sig); err != nil {
			return nil, err
		}
		fp.Sig = dedupe.SigFromBytes(sig)
		if gid == 0 {
			gid = id
		}
		d.add(id, gid, fp)
	}
	return d, rows.Err()
}

func (d *dupIndex) add(id, gid int64, fp dedupe.Fingerprint) {
	slot := uint32(len(d.ids)) + 1
	d.ids, d.gids = append(d.ids, uint32(id)), append(d.gids, uint32(gid))
	var sk [sketchLen]byte
	sketchOf(&sk, fp.Sig)
	d.sketch = append(d.sketch, sk[:]...)
	if k := normKey(fp.Hash); d.norm.find(k) == 0 {
		d.norm.set(k, slot)
	}
	for b := range d.band {
		var prev uint32
		if fp.Comparable() {
			k := bandKey(fp.Bands[b])
			prev = d.band[b].find(k)
			d.band[b].set(k, slot)
		}
		d.prev[b] = append(d.prev[b], prev)
	}
}

// normKey is the first 64 bits of a normalised hash (hex of SHA-256): two different
// texts share them with a probability of about n²/2⁶⁵.
func normKey(hash string) uint64 {
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(hash[:min(16, len(hash))])); err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(b[:])
}

// bandKey folds a band value into 32 bits; comments that share one are compared by
// their signatures, so a fold that collides costs a look-up, not a wrong group.
func bandKey(v int64) uint32 { return uint32(uint64(v) ^ uint64(v)>>32) }

// keyTable maps keys to slots by open addressing (linear probing), at most three
// quarters full; a zero value marks an empty cell, so any key may be stored.
type keyTable[K uint32 | uint64] struct {
	keys []K
	vals []uint32
	n    int
}

func newKeyTable[K uint32 | uint64](expect int) keyTable[K] {
	size := max(16, expect+expect/3+1)
	return keyTable[K]{keys: make([]K, size), vals: make([]uint32, size)}
}

// pos is where a key's probe starts: its mixed hash scaled to the table's size.
func (t *keyTable[K]) pos(k K) int {
	hi, _ := bits.Mul64(mix64(uint64(k)), uint64(len(t.keys)))
	return int(hi)
}

func (t *keyTable[K]) find(k K) uint32 {
	for i := t.pos(k); ; i++ {
		if i == len(t.keys) {
			i = 0
		}
		if t.vals[i] == 0 {
			return 0
		}
		if t.keys[i] == k {
			return t.vals[i]
		}
	}
}

func (t *keyTable[K]) set(k K, v uint32) {
	if (t.n+1)*4 > len(t.keys)*3 {
		old := *t
		*t = newKeyTable[K](2 * old.n)
		for i, ov := range old.vals {
			if ov != 0 {
				t.set(old.keys[i], ov)
			}
		}
	}
	for i := t.pos(k); ; i++ {
		if i == len(t.keys) {
			i = 0
		}
		if t.vals[i] == 0 {
			t.keys[i], t.vals[i] = k, v
			t.n++
			return
		}
		if t.keys[i] == k {
			t.vals[i] = v
			return
		}
	}
}

func mix64(x uint64) uint64 { // splitmix64's finaliser: spreads keys over the table
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ (x >> 31)
}
