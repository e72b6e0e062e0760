package dedupe

import (
	"strings"
	"testing"
)

const campaign = "我们强烈建议经开区在第十七条中加大对新材料产业的扶持力度,设立专项资金,支持本地企业技术改造和人才引进,切实减轻企业负担。"

func TestIdenticalAfterNormalising(t *testing.T) {
	variants := []string{
		campaign,
		"  " + strings.ReplaceAll(campaign, ",", ",") + "\n",
		strings.ReplaceAll(campaign, "。", "!!"),
		strings.ReplaceAll(campaign, "十七", "十七 "),
	}
	want := Of(campaign).Hash
	for _, v := range variants {
		if got := Of(v).Hash; got != want {
			t.Errorf("%q not identical after normalising", v)
		}
	}
	if Of("ABC").Hash != Of("ａｂｃ").Hash {
		t.Error("width and case not folded")
	}
}

func TestNearIdentical(t *testing.T) {
	base := Of(campaign)
	near := []string{
		strings.Replace(campaign, "强烈", "", 1),
		campaign + "谢谢!",
		strings.Replace(campaign, "切实", "", 1),
		strings.Replace(campaign, "本地企业", "本地民营企业", 1),
		campaign + "此致敬礼",
	}
	for _, v := range near {
		f := Of(v)
		if !Near(base, f) {
			t.Errorf("near copy not matched (distance too large): %q", v)
		}
		shared := false
		for i := range f.Bands {
			shared = shared || f.Bands[i] == base.Bands[i]
		}
		if !shared {
			t.Errorf("near copy shares no band: %q", v)
		}
		var back Fingerprint
		back.Sig = SigFromBytes(f.SigBytes())
		if back.Sig != f.Sig {
			t.Error("signature does not round-trip")
		}
	}
	different := []string{
		"建议第三条明确招商引资的考核办法,避免各部门重复招商,形成合力,并公开考核结果接受社会监督。",
		"关于人员管理,建议保留原有事业编制人员的待遇,过渡期不少于三年,并建立申诉渠道。",
	}
	for _, v := range different {
		if Near(base, Of(v)) {
			t.Errorf("different comment matched: %q", v)
		}
	}
	if !Of(campaign).Comparable() || Of("同意。").Comparable() {
		t.Error("Comparable threshold wrong")
	}
	if !Near(Of("同意。"), Of("同意!")) || Near(Of("同意"), Of("不同意")) {
		t.Error("short texts: identical only")
	}
}
