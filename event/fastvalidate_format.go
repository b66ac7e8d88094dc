package event

import "exhaust/internal/jsonscan"

// quickFormats recognise the canonical forms of the formats our events
// use. They only ever say yes to strings the reference accepts too; for
// anything else the reference's own assertion decides (fastFormat.valid).
var quickFormats = map[string]func([]byte) bool{
	"uuid":      quickUUID,
	"date":      quickDate,
	"date-time": quickDateTime,
}

// quickUUID accepts 8-4-4-4-12 hexadecimal digits.
func quickUUID(s []byte) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !jsonscan.IsHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// num2 reads two decimal digits at s[i:].
func num2(s []byte, i int) (int, bool) {
	a, b := s[i], s[i+1]
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int(a-'0')*10 + int(b-'0'), true
}

// quickDate accepts YYYY-MM-DD, a real day of a year 1900 to 2999.
func quickDate(s []byte) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	hi, ok1 := num2(s, 0)
	lo, ok2 := num2(s, 2)
	month, ok3 := num2(s, 5)
	day, ok4 := num2(s, 8)
	if !ok1 || !ok2 || !ok3 || !ok4 || hi < 19 || hi > 29 {
		return false
	}
	year := hi*100 + lo
	return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month)
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// quickDateTime accepts YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM) with a
// quick date, no leap second, and an offset below 24 hours.
func quickDateTime(s []byte) bool {
	if len(s) < 20 || !quickDate(s[:10]) || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return false
	}
	h, ok1 := num2(s, 11)
	m, ok2 := num2(s, 14)
	sec, ok3 := num2(s, 17)
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 59 {
		return false
	}
	rest := s[19:]
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		zh, ok1 := num2(rest, 1)
		zm, ok2 := num2(rest, 4)
		return ok1 && ok2 && zh <= 23 && zm <= 59
	}
	return false
}
