package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// figure is one measured quantity over repetitions.
type figure []float64

func (f figure) median() float64 {
	if len(f) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(f))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// quantile is the nearest-rank q-quantile: the smallest run that at least q of the
// runs do not exceed (with 20 runs, the 95th percentile is the 19th fastest).
func (f figure) quantile(q float64) float64 {
	if len(f) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(f))
	return s[max(int(math.Ceil(q*float64(len(s))))-1, 0)]
}

func (f figure) min() float64 { return slices.Min(f) }
func (f figure) max() float64 { return slices.Max(f) }

// show prints the median and the spread, "1,234 (1,180–1,290)", with prec decimals.
func (f figure) show(prec int) string {
	if len(f) == 0 {
		return "–"
	}
	m := num(f.median(), prec)
	if len(f) == 1 {
		return m + " (1 run)"
	}
	lo, hi := num(f.min(), prec), num(f.max(), prec)
	if lo == hi {
		return m + " (all " + strconv.Itoa(len(f)) + " runs)"
	}
	return fmt.Sprintf("%s (%s–%s)", m, lo, hi)
}

// num formats v with prec decimals and thousands separators.
func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func mib(bytes float64) float64 { return bytes / (1 << 20) }

// verdict says whether a floor is met, in words that stand out when it is not.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}
