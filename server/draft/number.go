package draft

// ChineseNumber converts a Chinese numeral as printed in document labels
// ("一", "十", "十七", "二十三", "九十九", "一百", "一百零一", "二百一十",
// "一千零一十") to its value. It accepts the digits 零/〇 and 一 to 九 and the
// units 十, 百 and 千 (so values up to 9999), with a bare leading 十 meaning
// 一十. It reports false for anything that is not a well-formed numeral in
// that notation, e.g. "", "十十", "一一", "一百一" or "一百零".
// "零" and "〇" on their own are 0.
func ChineseNumber(s string) (int, bool) {
	if s == "零" || s == "〇" {
		return 0, true
	}
	if s == "" {
		return 0, false
	}
	const noUnit = 10000
	total, digit, lastUnit := 0, -1, noUnit
	zero := false // a 零 was seen since the last unit
	first := true
	for _, r := range s {
		if d, ok := chineseDigit(r); ok {
			if digit >= 0 {
				return 0, false // two digits in a row
			}
			if d == 0 {
				if total == 0 || zero {
					return 0, false // 零 may only stand for skipped units
				}
				zero = true
			} else {
				digit = d
			}
		} else if u, ok := chineseUnit(r); ok {
			if u >= lastUnit || (zero && u >= lastUnit/10) {
				return 0, false // units must decrease, and 零 must skip one
			}
			if digit < 0 {
				if !first || u != 10 {
					return 0, false // only a leading 十 may omit its digit
				}
				digit = 1
			}
			total += digit * u
			lastUnit, digit, zero = u, -1, false
		} else {
			return 0, false
		}
		first = false
	}
	if digit >= 0 {
		if !zero && total != 0 && lastUnit != 10 {
			return 0, false // "一百一" is ambiguous shorthand
		}
		total += digit
	} else if zero {
		return 0, false // dangling 零
	}
	return total, true
}

func chineseDigit(r rune) (int, bool) {
	switch r {
	case '零', '〇':
		return 0, true
	case '一':
		return 1, true
	case '二':
		return 2, true
	case '三':
		return 3, true
	case '四':
		return 4, true
	case '五':
		return 5, true
	case '六':
		return 6, true
	case '七':
		return 7, true
	case '八':
		return 8, true
	case '九':
		return 9, true
	}
	return 0, false
}

func chineseUnit(r rune) (int, bool) {
	switch r {
	case '十':
		return 10, true
	case '百':
		return 100, true
	case '千':
		return 1000, true
	}
	return 0, false
}

// isNumeralRune reports whether r may appear in a Chinese numeral.
func isNumeralRune(r rune) bool {
	_, d := chineseDigit(r)
	_, u := chineseUnit(r)
	return d || u
}
