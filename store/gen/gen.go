// Package gen generates realistic comments on the seed consultation (the Yinchuan
// ETDZ reform draft: 23 articles and the draft as a whole) for benchmarks: Simplified
// Chinese text built from the policy vocabulary people actually use, lengths like a
// real consultation's (median about 150, mean about 300 characters, a long tail to
// 10,000), most comments on a few articles, about a fifth campaign copies (a handful
// of texts, some with a salutation, other punctuation or an extra sentence), and
// names, identities, channels, statuses and times spread over the comment window.
//
// Output depends only on the Options: the same seed gives the same comments, in the
// same order, on every machine. Pure: no I/O, no clock, no global random source.
package gen

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Version changes whenever the output for given Options changes, so databases built
// from an older generator are not mistaken for current ones.
const Version = 1

// MaxRunes is the longest comment body generated.
const MaxRunes = 10000

// Options configure a generator.
type Options struct {
	Seed   uint64
	N      int       // how many comments the sequence has (times are spread over all N)
	Opens  time.Time // the comment window
	Closes time.Time
}

// Comment is one generated comment, in the shape the store's Comment takes.
type Comment struct {
	Seq           int    // position in the sequence, from 0
	SectionAnchor string // "general" or "article-N"
	Body          string
	Name          string
	Identity      string // 个人 / 企业 / 社会组织 / 政府部门 / 其他
	Organization  string
	Phone         string // normalised: 11 digits
	Email         string
	PublishName   bool
	Channel       string    // web / letter / email / phone
	CreatedAt     time.Time // non-decreasing along the sequence
	ReceivedAt    time.Time // letters, e-mails and calls: the day the office received it
	RecordedBy    string    // letters, e-mails and calls: the officer who typed it in
	Status        string    // triage progress: most comments are still pending
	Campaign      int       // index into Campaigns for a campaign copy, else -1
}

// Identities are the identities a commenter can choose, as the form offers them.
var Identities = []string{"个人", "企业", "社会组织", "政府部门", "其他"}

var identityWeights = []float64{0.80, 0.12, 0.03, 0.02, 0.03}

var (
	channels       = []string{"web", "email", "letter", "phone"}
	channelWeights = []float64{0.92, 0.04, 0.03, 0.01}
)

// statuses and their shares among decided comments; the share decided falls from
// about 60% for the oldest comments to none for the newest (triage is under way).
var (
	statuses      = []string{"adopted", "partial", "rejected", "explained", "duplicate", "invalid"}
	statusWeights = []float64{0.08, 0.12, 0.15, 0.45, 0.12, 0.08}
	officers      = []string{"chensf", "wangl", "liuyang"}
	decidedOldest = 0.6
)

// Sections are the anchors comments are on: the draft as a whole and its 23 articles.
var Sections = func() []string {
	s := []string{"general"}
	for i := 1; i <= 23; i++ {
		s = append(s, "article-"+strconv.Itoa(i))
	}
	return s
}()

// sectionRank orders the sections from most to least commented: the articles on
// investment promotion, the industrial system, staffing, approvals and services draw
// most comments, as they did in the real consultation's topics; the organisational
// articles at the end draw few. Ordinary comments are spread Zipf-like (s = 1.1)
// over this order.
var sectionRank = []string{
	"general", "article-15", "article-17", "article-11", "article-12", "article-14",
	"article-13", "article-18", "article-19", "article-16", "article-10", "article-9",
	"article-7", "article-20", "article-5", "article-1", "article-6", "article-2",
	"article-4", "article-8", "article-3", "article-22", "article-21", "article-23",
}

const sectionZipfS = 1.1

// Campaign is a text circulated for people to send in, and the section it is about.
type Campaign struct {
	Section string
	Text    string
	share   float64 // of all campaign copies
	from    float64 // active part of the sequence, as fractions of N
	to      float64
}

// CampaignShare is the fraction of comments that are campaign copies.
const CampaignShare = 0.20

// Campaigns are the circulated texts. Their shares fall Zipf-like; each circulates
// for a part of the window.
var Campaigns = []Campaign{
	{Section: "article-17", share: 0.40, from: 0.10, to: 0.55, Text: "我们强烈建议经开区在第十七条中加大对新材料产业的扶持力度,设立专项资金,支持本地企业技术改造和人才引进,切实减轻企业负担。" +
		"新材料产业是经开区的主导产业,光伏硅、锂离子电池材料和半导体企业在园区已有较好的基础,但近两年原材料价格上涨、融资成本偏高,不少中小企业经营困难。" +
		"希望管委会对新入园的新材料项目在用地、用电、用水方面给予优惠,对企业研发投入给予一定比例的补贴,让企业留得住、发展得好。"},
	{Section: "article-15", share: 0.25, from: 0.30, to: 0.80, Text: "关于第十五条“提升专业招商能力”,我们建议:一是招商引资要坚持质量优先,不能只看投资额,更要看税收贡献、就业带动和环保水平;" +
		"二是对已经落地的招商项目要跟踪服务,兑现招商引资落地成果奖励要及时、透明,不能承诺多、兑现少;三是产业链招商要立足本地配套," +
		"优先引进与园区现有龙头企业上下游关联的企业;四是第三方招商要明确考核办法,防止重签约、轻落地。希望以上建议能够被采纳。"},
	{Section: "article-11", share: 0.15, from: 0.50, to: 0.95, Text: "对第十一条“优化人员管理方式”有几点意见:实行“行政编制+员额”管理后,请明确原有人员的身份、待遇和晋升通道," +
		"保障在职职工的合法权益;员额人员的招聘要公开透明,考核要公平公正;建议薪酬制度改革与绩效考核挂钩,同时兼顾基层一线人员,稳定队伍,调动积极性。"},
	{Section: "general", share: 0.10, from: 0.00, to: 1.00, Text: "营商环境是园区发展的生命线。建议经开区进一步简化审批流程,落实税收优惠政策,减轻企业负担," +
		"在融资、用工、物流等方面为中小企业和民营企业多办实事,让企业真正感受到改革带来的实惠。我们支持方案的总体思路,希望尽快出台实施细则,确保各项改革措施落地落实。"},
	{Section: "article-19", share: 0.06, from: 0.60, to: 1.00, Text: "支持建设“绿电园区”。建议对企业开展节能降耗和清洁能源替代给予资金奖励,推动光伏发电与企业用能直接对接,降低企业用电成本,同时加强固废综合利用,推动园区绿色低碳发展。"},
	{Section: "article-10", share: 0.04, from: 0.20, to: 0.60, Text: "公铁物流园并入经开区后,请妥善处理好资产盘点、债务清算和人员移交等问题,保障物流园职工的合法权益和入驻企业的正常经营。" +
		"建议尽快完善冷链储运和多式联运设施,降低周边企业物流成本,把物流园建成真正服务园区企业的商贸物流枢纽。"},
}

// Generator produces the comments of one sequence.
type Generator struct {
	o        Options
	rng      *rand.Rand
	seq      int
	sectionW []float64 // cumulative Zipf weights over sectionRank
	hourCum  []float64 // cumulative arrival intensity per hour of the window
	hourAt   []time.Time
}

// New returns a generator for o. o.N must be positive and o.Closes after o.Opens.
func New(o Options) *Generator {
	if o.N <= 0 || !o.Closes.After(o.Opens) {
		panic("gen: need N > 0 and Closes after Opens")
	}
	g := &Generator{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed_c0ffee_2023))}
	sum := 0.0
	for i := range sectionRank {
		sum += 1 / math.Pow(float64(i+1), sectionZipfS)
		g.sectionW = append(g.sectionW, sum)
	}
	g.arrivals()
	return g
}

// Next returns the next comment, and false when the sequence is done.
func (g *Generator) Next() (Comment, bool) {
	if g.seq >= g.o.N {
		return Comment{}, false
	}
	i := g.seq
	g.seq++
	r := g.rng
	q := (float64(i) + r.Float64()) / float64(g.o.N) // stratified: times never go back
	c := Comment{Seq: i, Campaign: -1, CreatedAt: g.timeAt(q)}
	c.Identity = Identities[pick(r, identityWeights)]
	c.Name = g.name()
	switch c.Identity {
	case "企业":
		c.Organization = g.company()
	case "社会组织":
		c.Organization = pickS(r, associations)
	case "政府部门":
		c.Organization = pickS(r, departments)
	}
	c.Phone = g.phone()
	if r.Float64() < 0.25 {
		c.Email = g.email()
	}
	c.PublishName = r.Float64() < 0.3
	c.Channel = channels[pick(r, channelWeights)]
	if c.Channel != "web" {
		day := c.CreatedAt.AddDate(0, 0, -r.IntN(4))
		c.ReceivedAt = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, day.Location())
		if c.ReceivedAt.Before(g.o.Opens) {
			c.ReceivedAt = g.o.Opens
		}
		c.RecordedBy = pickS(r, officers)
	}
	if k := g.campaignAt(q); k >= 0 {
		c.Campaign = k
		c.SectionAnchor = Campaigns[k].Section
		c.Body = g.campaignCopy(k)
		c.Identity, c.Organization = "个人", ""
	} else {
		c.SectionAnchor = g.section()
		c.Body = g.body(c.SectionAnchor, g.length())
	}
	c.Status = "pending"
	if r.Float64() < decidedOldest*(1-q) {
		c.Status = statuses[pick(r, statusWeights)]
		if c.Campaign >= 0 && r.Float64() < 0.5 {
			c.Status = "duplicate"
		}
	}
	return c, true
}

// length draws the target length of an ordinary comment: log-normal with median 130
// and mean 340 (σ² = 2 ln(340/130)), at most MaxRunes. Bodies stop at the sentence
// boundary nearest the target; with the campaign copies (80–330 characters) and the
// short stock comments this gives bodies a median near 150 and a mean near 300
// characters (TestLengths checks).
func (g *Generator) length() int {
	const median, mean = 130.0, 340.0
	sigma := math.Sqrt(2 * math.Log(mean/median))
	n := int(math.Round(median * math.Exp(sigma*g.rng.NormFloat64())))
	return max(2, min(n, MaxRunes))
}

func (g *Generator) section() string {
	x := g.rng.Float64() * g.sectionW[len(g.sectionW)-1]
	return sectionRank[sort.SearchFloat64s(g.sectionW, x)]
}

// campaignAt decides whether comment at position q (fraction of N) is a campaign copy,
// and of which campaign: each campaign's copies are spread evenly over its active part
// of the sequence, so that overall CampaignShare of comments are copies.
func (g *Generator) campaignAt(q float64) int {
	x := g.rng.Float64()
	for k, c := range Campaigns {
		if q < c.from || q >= c.to {
			continue
		}
		p := CampaignShare * c.share / (c.to - c.from)
		if x < p {
			return k
		}
		x -= p
	}
	return -1
}

var salutations = []string{"尊敬的经开区管委会:", "管委会领导您好!", "尊敬的领导:", "您好!", "各位领导:"}

var extraSentences = []string{
	"我是园区企业的一名普通职工。", "以上意见请予考虑。", "希望能得到答复,谢谢!", "我们公司全体员工都赞同这个意见。",
	"这也是很多企业的共同心声。", "请领导重视。", "谢谢!", "望采纳。", "此意见已与同事讨论过。",
}

// campaignCopy returns a copy of campaign k as people send it: mostly verbatim, some
// with other punctuation or spacing, a salutation or an extra sentence.
func (g *Generator) campaignCopy(k int) string {
	t := Campaigns[k].Text
	r := g.rng
	switch x := r.Float64(); {
	case x < 0.55:
		return t
	case x < 0.67: // half-width punctuation, spaces, line breaks: identical once normalised
		t = strings.NewReplacer(",", ", ", ";", ";", "。", "。\n").Replace(t)
		return strings.TrimSpace(t)
	case x < 0.80:
		return pickS(r, salutations) + t
	case x < 0.95:
		return t + pickS(r, extraSentences)
	default:
		return pickS(r, salutations) + "\n" + t + pickS(r, extraSentences) + "\n" + g.name()
	}
}

// short are the shortest comments people send; identical ones are grouped as copies.
var short = []string{"同意。", "支持!", "赞成", "同意该方案。", "没有意见。", "无意见", "支持改革!", "赞同。", "好", "同意,尽快实施。",
	"建议尽快出台实施细则。", "支持方案,希望落到实处。", "非常好的方案,支持!"}

// body writes a comment on section of about n characters.
func (g *Generator) body(section string, n int) string {
	r := g.rng
	if n <= 6 || (n <= 14 && r.Float64() < 0.7) {
		return pickS(r, short)
	}
	topic := topics[section]
	var b strings.Builder
	count := 0
	write := func(s string) {
		b.WriteString(s)
		count += utf8.RuneCountInString(s)
	}
	if r.Float64() < 0.45 {
		write(g.opening(section))
	}
	long := n > 1200
	point, inPara := 0, 0
	for count < n {
		if long && (point == 0 || inPara >= 4+r.IntN(4)) {
			if point > 0 {
				write("\n")
			}
			write(chineseNumber(point+1) + "、" + pickS(r, pointHeads) + "。")
			point++
			inPara = 0
			continue
		}
		s := g.sentence(topic)
		// Stop at the sentence boundary nearest to n: a sentence that would overshoot
		// by more than it fills is left out.
		if count > 0 && 2*(count+utf8.RuneCountInString(s)-n) > utf8.RuneCountInString(s) {
			break
		}
		write(s)
		inPara++
		if !long && inPara >= 3 && count < n-40 && r.Float64() < 0.25 {
			write("\n")
			inPara = 0
		}
	}
	if r.Float64() < 0.2 && n > 60 {
		write(pickS(r, closings))
	}
	s := b.String()
	if utf8.RuneCountInString(s) > MaxRunes {
		s = string([]rune(s)[:MaxRunes])
	}
	return s
}

func (g *Generator) opening(section string) string {
	r := g.rng
	ref := "方案"
	if strings.HasPrefix(section, "article-") {
		n, _ := strconv.Atoi(strings.TrimPrefix(section, "article-"))
		switch r.IntN(3) {
		case 0:
			ref = "第" + chineseNumber(n) + "条"
		case 1:
			ref = "(" + chineseNumber(n) + ")"
		default:
			ref = "第" + strconv.Itoa(n) + "条"
		}
	}
	return strings.ReplaceAll(pickS(r, openings), "{A}", ref)
}

// sentence fills one sentence template; {T} slots take the section's topic words
// most of the time, {G} slots general words.
func (g *Generator) sentence(topic []string) string {
	r := g.rng
	t := pickS(r, templates)
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		j := strings.IndexByte(t[i:], '}') + i
		switch t[i+1 : j] {
		case "T":
			if len(topic) > 0 && r.Float64() < 0.75 {
				b.WriteString(pickS(r, topic))
			} else {
				b.WriteString(pickS(r, general))
			}
		case "G":
			b.WriteString(pickS(r, general))
		case "S":
			b.WriteString(pickS(r, subjects))
		case "V":
			b.WriteString(pickS(r, verbs))
		case "P":
			b.WriteString(pickS(r, problems))
		case "R":
			b.WriteString(pickS(r, results))
		case "N":
			b.WriteString(strconv.Itoa(1 + r.IntN(30)))
		case "n":
			b.WriteString(strconv.Itoa(1 + r.IntN(5)))
		case "Y":
			b.WriteString(strconv.Itoa(2015 + r.IntN(8)))
		case "C":
			b.WriteString(pickS(r, critiques))
		}
		t = t[j+1:]
	}
}

func (g *Generator) name() string {
	r := g.rng
	s := pickS(r, surnames)
	n := pickS(r, givenChars)
	if r.Float64() < 0.7 {
		n += pickS(r, givenChars)
	}
	return s + n
}

func (g *Generator) company() string {
	r := g.rng
	return pickS(r, []string{"宁夏", "银川", "宁夏银川", ""}) + pickS(r, companyWords) + pickS(r, companyWords) +
		pickS(r, industries) + pickS(r, []string{"有限公司", "股份有限公司", "有限责任公司", "集团有限公司"})
}

func (g *Generator) phone() string {
	r := g.rng
	b := []byte{'1', "3456789"[r.IntN(7)]}
	for range 9 {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return string(b)
}

func (g *Generator) email() string {
	r := g.rng
	if r.Float64() < 0.5 {
		return strconv.Itoa(100000000+r.IntN(2000000000)) + "@qq.com"
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 4+r.IntN(6))
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b) + strconv.Itoa(r.IntN(1000)) + pickS(r, []string{"@163.com", "@126.com", "@sina.com", "@outlook.com"})
}

// arrivals tabulates the arrival intensity per hour of the window: a burst in the
// first days after publication, a rush before the deadline, quiet nights, weekends,
// New Year's Day and the Spring Festival (2023-01-21 to 01-27), busy office hours.
func (g *Generator) arrivals() {
	loc := time.FixedZone("CST", 8*3600)
	start, end := g.o.Opens, g.o.Closes
	total := end.Sub(start).Hours()
	sum := 0.0
	for t := start; t.Before(end); {
		next := t.Truncate(time.Hour).Add(time.Hour)
		if next.After(end) {
			next = end
		}
		bj := t.In(loc)
		w := hourWeight[bj.Hour()]
		switch bj.Weekday() {
		case time.Saturday, time.Sunday:
			w *= 0.55
		}
		day := bj.Format("01-02")
		if day == "01-01" || day == "01-02" {
			w *= 0.5
		}
		if day >= "01-21" && day <= "01-27" {
			w *= 0.3
		}
		f := t.Sub(start).Hours() / total // position in the window
		w *= 1 + 2.5*math.Exp(-f*48/2.5) + 3*math.Exp(-(1-f)*48/3)
		sum += w * next.Sub(t).Hours()
		g.hourAt = append(g.hourAt, t)
		g.hourCum = append(g.hourCum, sum)
		t = next
	}
	g.hourAt = append(g.hourAt, end)
}

var hourWeight = [24]float64{0.15, 0.08, 0.04, 0.03, 0.03, 0.05, 0.15, 0.4, 0.9, 1.3, 1.4, 1.2,
	0.8, 0.7, 1.0, 1.3, 1.3, 1.1, 0.8, 0.7, 0.9, 1.0, 0.8, 0.4}

// timeAt maps q in [0, 1) to a time by the inverse of the arrival distribution; it is
// non-decreasing in q.
func (g *Generator) timeAt(q float64) time.Time {
	total := g.hourCum[len(g.hourCum)-1]
	x := q * total
	i := sort.SearchFloat64s(g.hourCum, x)
	if i >= len(g.hourCum) {
		i = len(g.hourCum) - 1
	}
	lo := 0.0
	if i > 0 {
		lo = g.hourCum[i-1]
	}
	frac := 0.0
	if g.hourCum[i] > lo {
		frac = (x - lo) / (g.hourCum[i] - lo)
	}
	a, b := g.hourAt[i], g.hourAt[i+1]
	t := a.Add(time.Duration(frac * float64(b.Sub(a)))).Truncate(time.Second)
	if !t.Before(g.o.Closes) {
		t = g.o.Closes.Add(-time.Second)
	}
	return t
}

// pick draws an index with the given (not necessarily normalised) weights.
func pick(r *rand.Rand, w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	x := r.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

func pickS(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// chineseNumber writes 0–99 in Chinese numerals, as article labels do (十五, 二十三);
// other numbers in digits.
func chineseNumber(n int) string {
	const d = "零一二三四五六七八九"
	digit := func(i int) string { return string([]rune(d)[i]) }
	switch {
	case n < 0 || n >= 100:
		return strconv.Itoa(n)
	case n < 10:
		return digit(n)
	case n < 20:
		if n == 10 {
			return "十"
		}
		return "十" + digit(n-10)
	default:
		s := digit(n/10) + "十"
		if n%10 != 0 {
			s += digit(n % 10)
		}
		return s
	}
}

// The vocabulary. Sentences are templates whose slots take topic words ({T}, mostly
// the section's), general words ({G}), subjects ({S}), verbs ({V}), problems ({P}),
// hoped-for results ({R}), critiques of wording ({C}), numbers ({N}, small ones {n}) and years ({Y}).
var templates = []string{
	"建议{S}{V}{T}。",
	"建议{S}{V}{T},{R}。",
	"{T}方面,{P}。",
	"目前{T}{P},建议{V}{G}。",
	"希望{S}在{T}上{V}{G},{R}。",
	"方案中关于{T}的表述{C}。",
	"我们公司{Y}年入驻园区以来,在{T}方面{P},希望改革后能够有所改善。",
	"对于{T},建议{V}配套政策,明确责任单位和完成时限。",
	"{T}是推动经开区高质量发展的关键,{S}应当{V}{G}。",
	"建议将{T}纳入年度考核,考核结果向社会公开。",
	"{T}要坚持问题导向,{V}{G},{R}。",
	"我认为{T}和{G}应该统筹考虑,不能各管一段。",
	"能否对{T}给予{n}年的过渡期,让企业有时间适应。",
	"建议对{T}设立专项资金,每年安排不少于{N}千万元。",
	"{S}在推进{T}时,要多听取企业和职工的意见。",
	"近年来{T}取得了一定成效,但{P}。",
	"建议参考先进地区的做法,{V}{T},{R}。",
	"关于{T},{C}。",
	"{T}涉及企业切身利益,建议{V}{G}。",
	"很多中小企业反映{T}{P}。",
	"建议{V}{T}和{G}的衔接,{R}。",
	"要把{T}落到实处,关键在于{V}{G}。",
	"希望在{T}方面出台更有力度的措施,比如{V}{G}。",
	"{T}的目标建议细化到年度,每{n}个月通报一次进展。",
}

var openings = []string{
	"关于{A},", "对{A}提几点意见:", "看了{A},", "针对{A}的内容,", "我对{A}有以下建议:",
	"我是经开区一家企业的负责人,", "作为在园区工作多年的职工,", "本人认为,", "我单位经研究,对{A}提出如下意见:",
	"我是一名普通市民,", "作为园区内的民营企业,我们认为,", "{A}写得很好,但还有几点建议:",
}

var pointHeads = []string{
	"关于体制机制改革", "关于招商引资", "关于营商环境", "关于人才引进", "关于审批服务", "关于财政税收政策",
	"关于产业发展", "关于人员管理", "关于要素保障", "关于组织实施", "关于企业服务", "关于绿色发展",
}

var closings = []string{"以上意见,供参考。", "望采纳,谢谢!", "请予考虑。", "希望能得到答复。", "谢谢!"}

var subjects = []string{"管委会", "经开区", "相关部门", "园区", "市里", "有关部门", "直属公司", "", ""}

var verbs = []string{
	"进一步加大", "切实加强", "尽快出台", "认真研究", "明确", "细化", "抓紧落实", "完善", "优化", "简化",
	"统筹推进", "重点支持", "加快推进", "规范", "建立健全", "加大宣传", "深入调研", "重新评估",
}

var general = []string{
	"营商环境", "招商引资", "人才引进", "税收优惠政策", "审批流程", "中小企业", "民营企业", "融资服务", "用工保障",
	"配套设施", "政务服务", "政策兑现", "企业负担", "产业链", "考核办法", "信息公开", "职工权益", "资金扶持",
	"监督机制", "实施细则", "服务效率", "企业诉求", "项目落地", "土地供应", "公共交通", "职工住房",
}

var problems = []string{
	"还存在办事效率不高的问题", "企业反映手续多、周期长", "政策宣传不到位,很多企业不知道", "资金兑现不及时",
	"部门之间推诿扯皮的现象仍然存在", "标准不统一,企业无所适从", "落实情况与预期差距较大", "基层人员对政策理解不一致",
	"缺乏有效的监督和评估", "中小企业很难享受到", "信息不对称问题突出", "前期论证不够充分",
}

var results = []string{
	"真正落到实处", "惠及更多中小企业", "让企业有更多获得感", "提高群众满意度", "形成可复制的经验",
	"增强企业发展信心", "避免政策空转", "切实减轻企业负担", "推动园区高质量发展", "把好事办好",
}

var critiques = []string{
	"过于笼统,建议明确具体目标和时间节点", "不够具体,缺少可操作的措施", "与上位文件不完全一致,建议再核对",
	"提法很好,但需要配套的考核指标", "建议补充责任单位", "容易产生歧义,建议进一步明确", "建议增加量化指标",
}

// topics are words people use about each section: the article's own terms and the
// issues it raises.
var topics = map[string][]string{
	"general":    {"体制机制改革", "管委会+公司模式", "营商环境", "招商引资", "人才引进", "审批服务", "税收政策", "新材料产业", "高质量发展", "改革措施"},
	"article-1":  {"简政放权", "审批权限下放", "社会事务管理职能", "投资软环境", "服务效率", "行政审批事项"},
	"article-2":  {"市场化运作", "直属公司", "社会资本", "资源配置", "投融资职能", "园区运营"},
	"article-3":  {"顶层设计", "改革节奏", "人员安置", "改革措施落地", "改革时机", "统筹衔接"},
	"article-4":  {"管委会+公司模式", "园区运行机制", "直属企业规模", "市场化运行能力", "质量效益"},
	"article-5":  {"工业产值", "研发经费投入", "科技创新平台", "利用外资", "千亿级园区", "产值目标"},
	"article-6":  {"污染物排放", "万元工业产值能耗", "绿色工厂", "智能制造", "产业集群", "供应链"},
	"article-7":  {"综合管理职能", "规划制定", "国土资源管理", "综合考核指标体系", "职能配置"},
	"article-8":  {"社会事务移交", "卫生防疫", "信访维稳", "属地政府职责", "民生管理"},
	"article-9":  {"现代企业制度", "集团化运行", "信用评级", "经开集团", "利益分享机制", "产权关系"},
	"article-10": {"公铁物流园", "冷链储运", "多式联运", "物流成本", "债务清算", "商贸物流"},
	"article-11": {"行政编制+员额", "薪酬待遇", "高层次人才", "绩效考核", "晋升通道", "人员招聘", "人才引进"},
	"article-12": {"一窗受理", "审批事项清单", "综合行政执法", "消防验收", "审批权限", "限时办结"},
	"article-13": {"税收分享", "土地收益", "税收增量返还", "政府采购", "审计监督", "财政保障"},
	"article-14": {"首问责任制", "告知承诺制", "一次办好", "经心办品牌", "项目代办制", "营商环境", "审批服务"},
	"article-15": {"招商引资", "产业链招商", "链长制", "专班招商", "第三方招商", "一企一策", "招商奖励", "精准招商"},
	"article-16": {"国土空间规划", "产城融合", "用地布局", "宜业宜居", "职工住房", "规划评估"},
	"article-17": {"新材料", "光伏硅", "锂离子电池材料", "半导体", "工业机器人", "数控机床", "枸杞深加工", "奶制品", "工业互联网", "供应链金融", "蓝宝石"},
	"article-18": {"揭榜挂帅", "卡脖子技术", "企业技术中心", "中试验证", "科技合作", "创新创业平台", "成果转化"},
	"article-19": {"碳达峰", "碳中和", "绿电园区", "固废综合利用", "节能降耗", "能源效率"},
	"article-20": {"六权改革", "亩均论英雄", "低效闲置土地", "水权确权", "中水再利用", "排污权交易"},
	"article-21": {"领导小组", "统筹协调", "组织保障", "分管领导"},
	"article-22": {"工作台账", "任务清单", "责任分工", "完成时限", "宣传引导"},
	"article-23": {"专项督查", "通报批评", "问责机制", "限期整改", "按期完成"},
}

var surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高",
	"林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡",
	"余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "纳", "拓"}

var givenChars = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀",
	"霞", "平", "刚", "桂", "英", "华", "文", "辉", "建", "国", "宁", "海", "玲", "斌", "鹏", "飞", "雪", "慧", "淑", "红", "晨", "宇"}

var companyWords = []string{"宝", "丰", "隆", "基", "泰", "华", "瑞", "新", "源", "宁", "东", "晟", "鑫", "信", "恒", "力", "达", "盛", "嘉", "和"}

var industries = []string{"新材料", "科技", "能源", "装备制造", "电子", "物流", "生物科技", "食品", "机械", "化工", "建设", "光伏", "乳业", "软件"}

var associations = []string{"银川市工商业联合会", "经开区企业家协会", "宁夏新材料产业协会", "银川市物流与采购联合会", "宁夏青年企业家商会", "园区职工互助会"}

var departments = []string{"金凤区人民政府", "西夏区人民政府", "银川市发展和改革委员会", "银川市人力资源和社会保障局", "银川市财政局", "银川市自然资源局", "银川市生态环境局"}
