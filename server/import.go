package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"consult/server/draft"
	"consult/store"
)

// importHeaders maps a header cell (trimmed, lower case) to its import column: the
// English keys of the import format and the Chinese headers of the export's 意见明细.
var importHeaders = map[string]string{
	"section": "section", "body": "body", "name": "name", "identity": "identity", "organization": "organization",
	"phone": "phone", "email": "email", "channel": "channel", "received_at": "received_at", "status": "status",
	"tracking": "tracking", "publish_name": "publish_name", "公开姓名": "publish_name",
	"条款": "section", "意见内容": "body", "提交人": "name", "身份": "identity", "单位": "organization",
	"联系电话": "phone", "电子邮箱": "email", "渠道": "channel", "提交时间": "received_at", "收到日期": "received_at",
	"处理状态": "status", "受理编号": "tracking", "章": "chapter",
}

// importBatch is how many rows share one transaction: large enough that a commit's
// fsync is shared by many rows, small enough that web comments arriving meanwhile
// wait well under a second for the writer.
const importBatch = 2000

// importResult is what an import run did (or, dry, would do).
type importResult struct {
	Rows     int // data rows read
	Added    int
	Already  int // imported before (or the portal's own comment, by tracking number)
	Rejected []importReject
	Format   string // csv or xlsx
	Encoding string // UTF-8, GB18030 or xlsx
}

type importReject struct {
	Row    int // as the spreadsheet numbers it: the header is row 1
	Reason string
}

// importCommand reads comments collected elsewhere into a consultation:
// consult -config FILE import -consultation SLUG [-dry-run] PATH. Rejected rows are
// listed with their row number and reason; the rest are imported. The exit status is
// 0 only when no row was rejected.
func importCommand(ctx context.Context, cfg *Config, st *store.Store, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	slug := fs.String("consultation", "", "the `SLUG` of the consultation the comments are on")
	dry := fs.Bool("dry-run", false, "check every row and report, without importing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *slug == "" {
		return errors.New("usage: import -consultation SLUG [-dry-run] PATH (.csv in UTF-8 or GB18030, or .xlsx)")
	}
	// A bulk import's duplicate index (about 110 bytes a comment, in pointer-free
	// arrays that cost the collector little) is most of the heap: collecting at 20 %
	// growth instead of 100 % keeps the peak near it (#9: at most 300 MB for a million).
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	path, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	a, err := newApp(cfg, st, nil)
	if err != nil {
		return err
	}
	d, err := a.loadDraft(ctx, *slug)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("import: no consultation %q", *slug)
	}
	if err != nil {
		return err
	}
	res, err := a.importFile(ctx, d, path, *dry, stderr)
	if err != nil {
		return err
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(stdout, "第 %d 行未导入:%s\n", r.Row, r.Reason)
	}
	verb := "imported"
	if *dry {
		verb = "dry run: would import"
	}
	fmt.Fprintf(stdout, "%s %d of %d rows into %s (%s, %s); %d already imported, %d rejected\n",
		verb, res.Added, res.Rows, *slug, res.Format, res.Encoding, res.Already, len(res.Rejected))
	if !*dry {
		if err := st.Audit(ctx, cliActor, store.AuditEntry{Action: "import", ConsultationID: d.C.ID, Target: "file:" + path,
			After: map[string]any{"rows": res.Rows, "added": res.Added, "already": res.Already, "rejected": len(res.Rejected),
				"format": res.Format, "encoding": res.Encoding}}); err != nil {
			return fmt.Errorf("import: comments stored, but the audit entry failed: %w", err)
		}
	}
	if len(res.Rejected) > 0 {
		return fmt.Errorf("import: %d of %d rows rejected (listed above); the others were %s", len(res.Rejected), res.Rows,
			map[bool]string{true: "checked only", false: "imported"}[*dry])
	}
	return nil
}

// rowSource yields a file's rows with their row numbers.
type rowSource interface {
	next() (row []string, num int, err error) // io.EOF at the end
	close() error
}

// openImport opens a .csv (UTF-8 with or without BOM, or GB18030) or .xlsx file.
func openImport(path string) (src rowSource, format, encoding string, err error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		f, err := excelize.OpenFile(path)
		if err != nil {
			return nil, "", "", fmt.Errorf("import: %s: %w", path, err)
		}
		sheet := f.GetSheetName(0)
		if idx, err := f.GetSheetIndex(sheetDetail); err == nil && idx >= 0 {
			sheet = sheetDetail // this portal's own workbook
		}
		rows, err := f.Rows(sheet)
		if err != nil {
			f.Close()
			return nil, "", "", fmt.Errorf("import: %s: %w", path, err)
		}
		return &xlsxRows{f: f, rows: rows}, "xlsx", "xlsx", nil
	case ".csv", ".txt":
		fh, err := os.Open(path)
		if err != nil {
			return nil, "", "", fmt.Errorf("import: %w", err)
		}
		br := bufio.NewReaderSize(fh, 1<<20)
		head, _ := br.Peek(1 << 20)
		var r io.Reader = br
		encoding := "UTF-8"
		if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
			br.Discard(3)
		} else if !validUTF8Prefix(head) {
			// Not UTF-8: what Excel on a Chinese Windows saves ("CSV"), GB18030 (a
			// superset of GBK and GB2312).
			encoding = "GB18030"
			r = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
		}
		cr := csv.NewReader(r)
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		cr.ReuseRecord = true
		return &csvRows{f: fh, r: cr}, "csv", encoding, nil
	}
	return nil, "", "", fmt.Errorf("import: %s: want a .csv or .xlsx file", path)
}

// validUTF8Prefix reports whether b is UTF-8, allowing a character cut at its end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

type csvRows struct {
	f *os.File
	r *csv.Reader
}

func (c *csvRows) next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		return nil, 0, err
	}
	line, _ := c.r.FieldPos(0)
	return rec, line, nil
}

func (c *csvRows) close() error { return c.f.Close() }

type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	n    int
}

func (x *xlsxRows) next() ([]string, int, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, 0, err
		}
		return nil, 0, io.EOF
	}
	x.n++
	cols, err := x.rows.Columns()
	return cols, x.n, err
}

func (x *xlsxRows) close() error {
	x.rows.Close()
	return x.f.Close()
}

// importFile reads, checks and (unless dry) stores every row of the file at path.
// Reading and checking run ahead of the writer by a batch, so both cores work.
func (a *app) importFile(ctx context.Context, d *draftData, path string, dry bool, progress io.Writer) (*importResult, error) {
	src, format, encoding, err := openImport(path)
	if err != nil {
		return nil, err
	}
	defer src.close()
	res := &importResult{Format: format, Encoding: encoding}
	header, _, err := src.next()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("import: the file is empty (want a header row)")
	}
	if err != nil {
		return nil, fmt.Errorf("import: header row: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		if k, ok := importHeaders[h]; ok {
			if _, dup := col[k]; !dup {
				col[k] = i
			}
		}
	}
	if _, ok := col["body"]; !ok {
		return nil, fmt.Errorf("import: the header row has no body (意见内容) column; found %q", header)
	}
	var bulk *store.BulkImport
	if !dry {
		if err := a.store.SetWriterCache(ctx, 64); err != nil {
			return nil, err
		}
		if bulk, err = a.beginBulk(ctx, d, path, format, progress); err != nil {
			return nil, err
		}
		if bulk != nil {
			defer bulk.Finish(ctx) // on a failure; after the Finish below it does nothing
		}
	}
	im := &importer{a: a, d: d, col: col, seen: map[uint64]uint32{}, now: time.Now(), noneStored: bulk != nil && bulk.Empty()}

	type batch struct {
		rows []*store.Comment
		fp   *store.ImportBatch // fingerprinted here, while the writer stores the batch before
	}
	var alreadyOwn atomic.Int64 // rows that are this portal's own comments
	batches := make(chan batch, 2)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		var b []*store.Comment
		for {
			rec, num, err := src.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				readErr <- fmt.Errorf("import: row %d: %w", num, err)
				return
			}
			res.Rows++
			c, reason := im.comment(rec)
			if reason != "" {
				res.Rejected = append(res.Rejected, importReject{num, reason})
				continue
			}
			if c == nil {
				alreadyOwn.Add(1)
				continue
			}
			b = append(b, c)
			if len(b) == importBatch {
				bb := batch{rows: b}
				if !dry {
					if bb.fp, err = store.NewImportBatch(b, 1); err != nil {
						readErr <- err
						return
					}
				}
				select {
				case batches <- bb:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
				b = nil
			}
		}
		if len(b) > 0 {
			bb := batch{rows: b}
			if !dry {
				fp, err := store.NewImportBatch(b, 1)
				if err != nil {
					readErr <- err
					return
				}
				bb.fp = fp
			}
			batches <- bb
		}
		readErr <- nil
	}()
	start, last := time.Now(), time.Now()
	var storeErr error
	for b := range batches {
		if storeErr != nil {
			continue // drain so the reader ends
		}
		rows, already, err := im.alreadyPresent(ctx, b.rows, dry)
		if err != nil {
			storeErr = err
			continue
		}
		res.Already += already
		if storeErr = ctx.Err(); storeErr != nil {
			continue
		}
		if dry {
			res.Added += len(rows)
		} else if len(rows) > 0 {
			add := a.store.ImportBatch
			if bulk != nil {
				add = bulk.Add
			}
			n, err := add(ctx, b.fp)
			if err != nil {
				storeErr = err
				continue
			}
			res.Added += n
			res.Already += len(rows) - n
		}
		if progress != nil && time.Since(last) >= 2*time.Second {
			last = time.Now()
			el := time.Since(start)
			done := res.Added + res.Already
			fmt.Fprintf(progress, "import: %d rows stored or checked in %v (%.0f rows/s), %d added, %d already imported\n",
				done, el.Round(time.Second), float64(done)/el.Seconds(), res.Added, res.Already)
		}
	}
	if err := <-readErr; err != nil {
		return nil, err
	}
	res.Already += int(alreadyOwn.Load())
	if storeErr != nil && bulk != nil {
		return nil, fmt.Errorf("import: stopped; the rows committed so far are stored, and running the import again adds the rest: %w", storeErr)
	}
	if storeErr != nil {
		return nil, fmt.Errorf("import: after %d comments were added: %w", res.Added, storeErr)
	}
	if bulk != nil {
		if progress != nil {
			fmt.Fprintf(progress, "import: %d rows stored in %v; building the comments' indexes again\n",
				res.Rows, time.Since(start).Round(time.Second))
		}
		if err := bulk.Finish(ctx); err != nil {
			return nil, fmt.Errorf("import: the comments are stored, but building their indexes failed (they are built when the portal next starts): %w", err)
		}
	}
	if progress != nil {
		el := time.Since(start)
		fmt.Fprintf(progress, "import: done: %d rows in %v (%.0f rows/s)\n", res.Rows, el.Round(time.Millisecond), float64(res.Rows)/el.Seconds())
	}
	return res, nil
}

// Bulk imports: a file of at least bulkMinRows rows, and at least a tenth as many as
// the database holds, is imported with the comments table's random-keyed indexes
// dropped and built again at the end (store.BulkImport) when no other process has the
// database open; otherwise with the indexes kept, which web comments arriving
// meanwhile need, in transactions of importBatch rows. Either way a run stopped half
// way is completed by running it again.
var bulkMinRows = 20_000 // a variable for tests

// beginBulk starts a bulk import when the file is large enough and the database is this
// process's alone, and says so on progress; else it returns nil.
func (a *app) beginBulk(ctx context.Context, d *draftData, path, format string, progress io.Writer) (*store.BulkImport, error) {
	say := func(format string, args ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format, args...)
		}
	}
	est, err := estimateRows(path, format)
	if err != nil || est < bulkMinRows {
		return nil, err
	}
	total, err := a.store.TotalComments(ctx)
	if err != nil || est*10 < total {
		return nil, err
	}
	b, err := a.store.BeginBulkImport(ctx, d.C.ID, est)
	if errors.Is(err, store.ErrNotAlone) {
		say("import: the database is open in another process (the portal?): importing %d rows at a time; stop it for a faster bulk import\n", importBatch)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	say("import: bulk import of about %d rows: the comments' indexes are built again at the end; the portal cannot start meanwhile\n", est)
	return b, nil
}

// estimateRows is about how many rows the file has: for a CSV its line breaks outside
// quotes (exact for a well-formed file, whatever the encoding: neither '"' nor '\n'
// occurs inside a GB18030 or UTF-8 character), for a workbook a guess from its size.
func estimateRows(path, format string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	if format == "xlsx" {
		fi, err := f.Stat()
		if err != nil {
			return 0, fmt.Errorf("import: %w", err)
		}
		return int(fi.Size() / 300), nil
	}
	n, quoted := 0, false
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		for _, c := range buf[:k] {
			switch {
			case c == '"':
				quoted = !quoted
			case c == '\n' && !quoted:
				n++
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("import: %w", err)
		}
	}
}

// importer turns rows into comments, checked as the comment form checks them.
type importer struct {
	a    *app
	d    *draftData
	col  map[string]int
	seen map[uint64]uint32 // row content (first 64 bits of its hash) -> copies seen so far in this file
	now  time.Time
	// noneStored: a bulk import into an empty table, so no row can be a comment stored
	// before (and there is no tracking-number index to look one up until it ends).
	noneStored bool
}

func (im *importer) cell(rec []string, key string) string {
	i, ok := im.col[key]
	if !ok || i >= len(rec) {
		return ""
	}
	return rec[i]
}

// comment checks one row and returns its comment, or a reason (in Chinese) why not.
func (im *importer) comment(rec []string) (*store.Comment, string) {
	for _, v := range rec {
		if !utf8.ValidString(v) {
			return nil, "文字编码无法识别(请另存为 UTF-8 或 GB18030 编码的 CSV)。"
		}
	}
	blank := true
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			blank = false
			break
		}
	}
	if blank {
		return nil, "空行。"
	}
	// This portal's own comment (a workbook from the export), known by its number?
	tracking, hasTracking := store.NormalizeTracking(im.cell(rec, "tracking"))
	if hasTracking && !im.noneStored {
		old, err := im.a.store.CommentByTracking(context.Background(), tracking)
		switch {
		case err == nil && old.ConsultationID == im.d.C.ID && old.Body == normalizeText(im.cell(rec, "body")):
			return nil, ""
		case err == nil:
			hasTracking = false // another comment's number: a new one is drawn
		case !errors.Is(err, store.ErrNotFound):
			return nil, "无法核对受理编号,请稍后重试。"
		}
	}
	rawSection := im.cell(rec, "section")
	if strings.TrimSpace(rawSection) == "本章整体" { // the export's row for a chapter as a whole
		rawSection = im.cell(rec, "chapter")
	}
	anchor, ok := importSection(im.d, rawSection)
	if !ok {
		return nil, "无法识别意见针对的条款“" + excerpt(rawSection, 20) + "”。可写 article-17、第十七条、(十七)、十七 或 全文。"
	}
	f := commentForm{
		Section: anchor, Body: normalizeText(im.cell(rec, "body")), Name: normalizeLine(im.cell(rec, "name")),
		Identity: normalizeLine(im.cell(rec, "identity")), Organization: normalizeLine(im.cell(rec, "organization")),
		Phone: unmasked(normalizeLine(im.cell(rec, "phone"))), Email: unmasked(normalizeLine(im.cell(rec, "email"))),
		Consent: true, PublishName: isChecked(strings.ToLower(strings.TrimSpace(im.cell(rec, "publish_name")))) || strings.TrimSpace(im.cell(rec, "publish_name")) == "是",
	}
	if f.Identity == "" {
		f.Identity = "个人" // what the form preselects
	}
	// As the form checks, except that a name and a phone or e-mail are not required:
	// the office holds the letter or the other system's record (as for letters
	// recorded by hand).
	f.validate(im.d, false, false)
	channel, ok := importChannel(im.cell(rec, "channel"))
	f.CheckField(ok, "channel", "渠道无法识别,可写 web、letter、email、phone 或 网站、信函、电子邮件、电话。")
	status, ok := importStatus(im.cell(rec, "status"))
	f.CheckField(ok, "status", "处理状态无法识别。")
	received, hasTime, ok := importTime(im.cell(rec, "received_at"))
	f.CheckField(ok, "received_at", "收到时间格式不正确,如 2023-01-15 或 2023-01-15 10:30。")
	f.CheckField(!ok || !received.After(im.now), "received_at", "收到时间不能晚于现在。")
	if !f.Valid() {
		var reasons []string
		for _, k := range []string{"section", "body", "identity", "name", "organization", "phone", "email", "channel", "status", "received_at"} {
			if m, ok := f.FieldErrors[k]; ok {
				reasons = append(reasons, m)
			}
		}
		return nil, strings.Join(reasons, "")
	}
	c := &store.Comment{ConsultationID: im.d.C.ID, SectionAnchor: f.Section, Body: f.Body, Name: f.Name, PublishName: f.PublishName,
		Identity: f.Identity, Organization: f.Organization, Phone: f.Phone, Email: f.Email,
		Channel: channel, Status: status, ConsentedAt: im.now, CreatedAt: im.now, RecordedBy: "import"}
	if s := im.d.Section(f.Section); s != nil {
		c.SectionID = s.ID
	}
	if hasTime {
		c.CreatedAt = received
		if channel != "web" {
			c.ReceivedAt = received
		}
	}
	// Late as for letters recorded by hand: received after the closing day.
	cl := im.d.C.ClosesAt.In(beijing)
	lastDay := time.Date(cl.Year(), cl.Month(), cl.Day(), 0, 0, 0, 0, beijing).AddDate(0, 0, 1)
	c.Late = hasTime && !received.Before(lastDay)
	if hasTracking {
		c.Tracking = tracking
	}
	// The same row again (in a later run) gets the same key and is not stored twice;
	// identical rows within one file (copies of one letter) are told apart by their
	// occurrence.
	h := sha256.New()
	for _, v := range []string{im.d.C.Slug, c.SectionAnchor, c.Body, c.Name, c.Identity, c.Organization, c.Phone, c.Email,
		c.Channel, strconv.FormatInt(unixOrZero(received), 10)} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	k := binary.BigEndian.Uint64(h.Sum(nil))
	n := im.seen[k]
	im.seen[k] = n + 1
	h.Write(binary.BigEndian.AppendUint32(nil, n))
	sum := h.Sum(nil)
	c.SubmissionKey = "import-" + hex.EncodeToString(sum[:15])
	return c, ""
}

// alreadyPresent drops, in a dry run, rows imported before (same key); a real run
// leaves that to store.ImportComments.
func (im *importer) alreadyPresent(ctx context.Context, rows []*store.Comment, dry bool) ([]*store.Comment, int, error) {
	if !dry {
		return rows, 0, nil
	}
	out := rows[:0]
	already := 0
	for _, c := range rows {
		if ok, err := im.a.store.HasSubmissionKey(ctx, c.SubmissionKey); err != nil {
			return nil, 0, err
		} else if ok {
			already++
			continue
		}
		out = append(out, c)
	}
	return out, already, nil
}

// unmasked blanks a contact value masked by the export (138****3501, z***@…): it
// cannot be restored, so it is imported as not given.
func unmasked(s string) string {
	if strings.Contains(s, "***") || strings.Count(s, "*") >= 4 {
		return ""
	}
	return s
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// importSection reads a section as an anchor (article-17, general) or as people
// write it (第十七条, (十七), 十七, 17, 一、, 第二章, 前言, 全文).
func importSection(d *draftData, raw string) (string, bool) {
	s := strings.Join(strings.Fields(foldWidth(raw)), "")
	switch s {
	case "", "全文", "总体", "总体意见", "全文/总体意见", "全文总体意见", "整体", "general":
		return "general", true
	case "前言", "序言", "preamble":
		if d.Section("preamble") != nil {
			return "preamble", true
		}
	}
	if d.Section(s) != nil {
		return s, true
	}
	for _, sec := range d.Sections { // a label as printed: (十七), 一、, 第十七条, with or without its heading
		l := strings.Join(strings.Fields(foldWidth(sec.Label)), "")
		if l != "" && (l == s || l+strings.Join(strings.Fields(foldWidth(sec.Heading)), "") == s) {
			return sec.Anchor, true
		}
	}
	kind := "article"
	t := strings.Trim(s, "()[]〔〕【】")
	t = strings.TrimPrefix(t, "第")
	switch {
	case strings.HasSuffix(t, "章"), strings.HasSuffix(t, "、"), strings.HasSuffix(t, "部分"):
		kind = "chapter"
		t = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(t, "章"), "、"), "部分")
	case strings.HasSuffix(t, "条"), strings.HasSuffix(t, "项"), strings.HasSuffix(t, "款"):
		t = t[:len(t)-len("条")]
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		var ok bool
		if n, ok = draft.ChineseNumber(t); !ok {
			return "", false
		}
	}
	anchor := kind + "-" + strconv.Itoa(n)
	return anchor, d.Section(anchor) != nil
}

func importChannel(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "(逾期收到)")
	if s == "" {
		return "letter", true // most comments collected elsewhere are letters typed in
	}
	if contains(store.Channels, strings.ToLower(s)) {
		return strings.ToLower(s), true
	}
	for k, l := range store.ChannelLabels {
		if s == l {
			return k, true
		}
	}
	switch s {
	case "网上", "网页", "在线":
		return "web", true
	case "来信", "信件", "邮寄":
		return "letter", true
	case "邮件", "电邮", "e-mail", "E-mail":
		return "email", true
	case "来电", "电话记录":
		return "phone", true
	}
	return "", false
}

func importStatus(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return store.StatusPending, true
	}
	if _, ok := store.StatusLabels[strings.ToLower(s)]; ok {
		return strings.ToLower(s), true
	}
	for k, l := range store.StatusLabels {
		if s == l {
			return k, true
		}
	}
	switch s {
	case "已采纳", "采用":
		return store.StatusAdopted, true
	case "部分采用":
		return store.StatusPartial, true
	case "未采纳", "不采纳":
		return store.StatusRejected, true
	case "说明", "作说明":
		return store.StatusExplained, true
	}
	return "", false
}

// importTime reads a date or time in Beijing time; blank is allowed (hasTime false).
func importTime(s string) (t time.Time, hasTime, ok bool) {
	s = strings.TrimSpace(foldWidth(s))
	if s == "" {
		return time.Time{}, false, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true, true
	}
	for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006/1/2",
		"2006-1-2", "2006.1.2", "2006年1月2日", "2006年1月2日 15:04", "1/2/06 15:04", "01-02-06"} {
		if t, err := time.ParseInLocation(l, s, beijing); err == nil {
			return t, true, true
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 20000 && f < 80000 { // an Excel date serial
		if t, err := excelize.ExcelDateToTime(f, false); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, beijing), true, true
		}
	}
	return time.Time{}, false, false
}
