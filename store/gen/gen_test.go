package gen

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"consult/store/dedupe"
)

var beijing = time.FixedZone("CST", 8*3600)

// seedWindow is the seed consultation's window.
var seedWindow = Options{
	Opens:  time.Date(2022, 12, 21, 17, 24, 0, 0, beijing),
	Closes: time.Date(2023, 2, 7, 17, 0, 0, 0, beijing),
}

func generate(seed uint64, n int) []Comment {
	o := seedWindow
	o.Seed, o.N = seed, n
	g := New(o)
	var out []Comment
	for {
		c, ok := g.Next()
		if !ok {
			return out
		}
		out = append(out, c)
	}
}

// sample is shared by the tests below: generating it takes about a second.
var sample = generate(1, 30000)

func TestDeterministic(t *testing.T) {
	a, b := generate(7, 2000), generate(7, 2000)
	if len(a) != 2000 {
		t.Fatalf("generated %d comments, want 2000", len(a))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("comment %d differs between two runs with one seed:\n%+v\n%+v", i, a[i], b[i])
		}
	}
	c := generate(8, 2000)
	same := 0
	for i := range a {
		if a[i].Body == c[i].Body {
			same++
		}
	}
	if same > 200 { // short stock comments and verbatim campaign copies may coincide
		t.Errorf("seeds 7 and 8 share %d of 2000 bodies", same)
	}
}

func TestLengths(t *testing.T) {
	var ls []int
	sum := 0
	for _, c := range sample {
		n := utf8.RuneCountInString(c.Body)
		if n == 0 || n > MaxRunes {
			t.Fatalf("comment %d has %d characters", c.Seq, n)
		}
		ls = append(ls, n)
		sum += n
	}
	slices.Sort(ls)
	median, mean, p999 := ls[len(ls)/2], sum/len(ls), ls[len(ls)*999/1000]
	t.Logf("median %d, mean %d, p99.9 %d, max %d", median, mean, p999, ls[len(ls)-1])
	if median < 130 || median > 170 {
		t.Errorf("median length %d, want about 150", median)
	}
	if mean < 260 || mean > 340 {
		t.Errorf("mean length %d, want about 300", mean)
	}
	if p999 < 3000 {
		t.Errorf("no long tail: p99.9 is %d characters", p999)
	}
	if ls[len(ls)/100] > 10 {
		t.Errorf("no short comments: p1 is %d characters", ls[len(ls)/100])
	}
}

func TestSectionsSkewed(t *testing.T) {
	counts := map[string]int{}
	for _, c := range sample {
		if !slices.Contains(Sections, c.SectionAnchor) {
			t.Fatalf("comment %d on unknown section %q", c.Seq, c.SectionAnchor)
		}
		counts[c.SectionAnchor]++
	}
	if len(counts) != 24 {
		t.Errorf("comments on %d sections, want all 24: %v", len(counts), counts)
	}
	var ns []int
	for _, n := range counts {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	slices.Reverse(ns)
	top3 := ns[0] + ns[1] + ns[2]
	if f := float64(top3) / float64(len(sample)); f < 0.45 || f > 0.75 {
		t.Errorf("the three most commented sections have %.0f%% of comments, want about half: %v", 100*f, counts)
	}
	if f := float64(ns[len(ns)-1]) / float64(len(sample)); f > 0.02 || f == 0 {
		t.Errorf("the least commented section has %.1f%% of comments", 100*f)
	}
}

func TestCampaignCopies(t *testing.T) {
	per := make([]int, len(Campaigns))
	verbatim, near := 0, 0
	fps := make([]dedupe.Fingerprint, len(Campaigns))
	for k, c := range Campaigns {
		fps[k] = dedupe.Of(c.Text)
	}
	copies := 0
	for _, c := range sample {
		if c.Campaign < 0 {
			continue
		}
		copies++
		per[c.Campaign]++
		if c.SectionAnchor != Campaigns[c.Campaign].Section {
			t.Fatalf("copy %d of campaign %d is on %s", c.Seq, c.Campaign, c.SectionAnchor)
		}
		if c.Body == Campaigns[c.Campaign].Text {
			verbatim++
		}
		if dedupe.Near(dedupe.Of(c.Body), fps[c.Campaign]) {
			near++
		}
	}
	f := float64(copies) / float64(len(sample))
	t.Logf("campaign copies %.1f%%, per campaign %v, verbatim %d, near %d", 100*f, per, verbatim, near)
	if f < 0.18 || f > 0.22 {
		t.Errorf("%.1f%% campaign copies, want about 20%%", 100*f)
	}
	for k := 1; k < len(per); k++ {
		if per[k] >= per[k-1] || per[k] == 0 {
			t.Errorf("campaign shares not falling: %v", per)
		}
	}
	if verbatim < copies/2 || verbatim > copies*3/4 {
		t.Errorf("%d of %d copies verbatim, want a little over half", verbatim, copies)
	}
	if near < copies*9/10 || near == copies {
		t.Errorf("%d of %d copies are near-duplicates of their text: want most, not all", near, copies)
	}
}

// TestOrdinaryCommentsAreDistinct guards against a generator that writes the same
// text again and again, which would put ordinary comments into large groups.
func TestOrdinaryCommentsAreDistinct(t *testing.T) {
	var fps []dedupe.Fingerprint
	for _, c := range sample {
		if c.Campaign < 0 && utf8.RuneCountInString(c.Body) >= 60 && len(fps) < 800 {
			fps = append(fps, dedupe.Of(c.Body))
		}
	}
	pairs := 0
	for i := range fps {
		for j := i + 1; j < len(fps); j++ {
			if dedupe.Near(fps[i], fps[j]) {
				pairs++
			}
		}
	}
	if pairs > 0 {
		t.Errorf("%d near-duplicate pairs among %d ordinary comments", pairs, len(fps))
	}
}

func TestTimesAndPeople(t *testing.T) {
	phone := regexp.MustCompile(`^1[3-9]\d{9}$`)
	var prev time.Time
	byHour := map[int]int{}
	lastWeek, festival := 0, 0
	pending, decidedNewest := 0, 0
	for _, c := range sample {
		if c.CreatedAt.Before(seedWindow.Opens) || !c.CreatedAt.Before(seedWindow.Closes) {
			t.Fatalf("comment %d at %v, outside the window", c.Seq, c.CreatedAt)
		}
		if c.CreatedAt.Before(prev) {
			t.Fatalf("comment %d at %v, before comment %d at %v", c.Seq, c.CreatedAt, c.Seq-1, prev)
		}
		prev = c.CreatedAt
		bj := c.CreatedAt.In(beijing)
		byHour[bj.Hour()]++
		if seedWindow.Closes.Sub(c.CreatedAt) < 7*24*time.Hour {
			lastWeek++
		}
		if d := bj.Format("01-02"); d >= "01-21" && d <= "01-27" {
			festival++
		}
		if !slices.Contains(Identities, c.Identity) || c.Name == "" || !phone.MatchString(c.Phone) {
			t.Fatalf("comment %d: identity %q, name %q, phone %q", c.Seq, c.Identity, c.Name, c.Phone)
		}
		if (c.Identity == "企业" || c.Identity == "政府部门") != (c.Organization != "") && c.Identity != "社会组织" {
			t.Fatalf("comment %d: identity %q with organisation %q", c.Seq, c.Identity, c.Organization)
		}
		switch c.Channel {
		case "web":
			if !c.ReceivedAt.IsZero() || c.RecordedBy != "" {
				t.Fatalf("web comment %d recorded by %q", c.Seq, c.RecordedBy)
			}
		case "letter", "email", "phone":
			if c.ReceivedAt.After(c.CreatedAt) || c.ReceivedAt.Before(seedWindow.Opens) || c.RecordedBy == "" {
				t.Fatalf("%s comment %d received %v, created %v, recorded by %q", c.Channel, c.Seq, c.ReceivedAt, c.CreatedAt, c.RecordedBy)
			}
		default:
			t.Fatalf("comment %d: channel %q", c.Seq, c.Channel)
		}
		if c.Status == "pending" {
			pending++
		} else if c.Seq >= len(sample)*99/100 {
			decidedNewest++
		}
	}
	if byHour[3] >= byHour[10]/5 {
		t.Errorf("as many comments at 3:00 (%d) as at 10:00 (%d)", byHour[3], byHour[10])
	}
	if lastWeek <= 3*festival {
		t.Errorf("deadline week %d comments, Spring Festival week %d: no deadline rush", lastWeek, festival)
	}
	if f := float64(pending) / float64(len(sample)); f < 0.6 || f > 0.8 {
		t.Errorf("%.0f%% pending, want about 70%%", 100*f)
	}
	if decidedNewest > len(sample)/1000 {
		t.Errorf("%d of the newest 1%% already decided", decidedNewest)
	}
}

// TestSearchWordFrequencies pins the share of comments that contain the words the
// queue benchmark searches for, so its figures keep meaning what they say.
func TestSearchWordFrequencies(t *testing.T) {
	tests := []struct {
		word   string
		lo, hi float64
	}{
		{"企业", 0.6, 0.95},              // very common two-character word
		{"招商", 0.2, 0.5},               // common
		{"枸杞", 0.005, 0.06},            // rare
		{"新材料", 0.1, 0.35},             // common three-character word
		{"奶制品", 0.005, 0.06},           // rare
		{"新材料产业的扶持力度", 0.06, 0.12},     // ten characters, in the largest campaign
		{"枸杞深加工的目标建议", 0.00005, 0.003}, // ten characters, rare
		{"建议取消员额制度改革试点", 0, 0},         // nowhere
		{"营商环境", 0.15, 0.4},            // four characters, common
		{"设立专项资金", 0.15, 0.45},         // six characters, common
		{"管委会", 0.2, 0.6},              // three characters
		{"第十七条", 0.01, 0.2},            // how people refer to articles
		{"企业负担", 0.05, 0.4},            // four characters
		{"锂离子电池材料", 0.005, 0.12},       // seven characters
		{"谢谢", 0.01, 0.2},              // closings
		{"同意", 0.001, 0.05},            // short stock comments
		{"有限公司", 0, 0},                 // organisations are not in bodies
		{"\n", 0.05, 0.5},              // paragraphs
		{"一、关于", 0.001, 0.05},          // numbered points in long comments
		{"1", 0.01, 0.5},               // numbers and years
		{"。", 0.95, 1},                 // sentences end
		{"{", 0, 0},                    // no template slot left unfilled
		{"}", 0, 0},                    // (ditto)
		{"  ", 0, 0},                   // no doubled spaces
		{",,", 0, 0},                   // no doubled commas
		{"。。", 0, 0},                   // no doubled stops
		{"建议建议", 0, 0},                 // no doubled words from empty slots
		{"关于,", 0, 0},                  // (ditto)
		{"的的", 0, 0},                   // (ditto)
		{"在上", 0, 0.01},                // (ditto: an empty topic slot)
		{"方面方面", 0, 0},                 // (ditto)
		{"第条", 0, 0},                   // an empty article number
		{"()", 0, 0},                   // (ditto)
		{"{A}", 0, 0},                  // an unreplaced article reference
		{"第0条", 0, 0},                  // article numbers start at 1
		{"\n\n", 0, 0.001},             // no empty paragraphs
		{"。,", 0, 0},                   // punctuation collisions
		{":,", 0, 0},                   // (ditto)
		{"、。", 0, 0},                   // (ditto)
	}
	for _, tt := range tests {
		n := 0
		for _, c := range sample {
			if strings.Contains(c.Body, tt.word) {
				n++
			}
		}
		f := float64(n) / float64(len(sample))
		if f < tt.lo || f > tt.hi || (tt.lo > 0 && n == 0) {
			t.Errorf("%q in %.3f%% of comments, want %.3f%%–%.3f%%", tt.word, 100*f, 100*tt.lo, 100*tt.hi)
		}
	}
}

func TestChineseNumber(t *testing.T) {
	for n, want := range map[int]string{1: "一", 10: "十", 15: "十五", 20: "二十", 23: "二十三", 99: "九十九", 100: "100"} {
		if got := chineseNumber(n); got != want {
			t.Errorf("chineseNumber(%d) = %q, want %q", n, got, want)
		}
	}
}
