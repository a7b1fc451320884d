// Package suggest finds the known names nearest a mistyped one, for the "did you
// mean" of every place gongsync takes a name: actions and their inputs, commands,
// flags, streams and environment variables.
package suggest

import (
	"slices"
	"strings"
)

// Nearest returns the names closest to name (same letters in another case, or at
// most two edits away), best first, at most three.
func Nearest(name string, names []string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	lower := strings.ToLower(name)
	for _, n := range names {
		d := editDistance(lower, strings.ToLower(n))
		if d <= 2 && d < len([]rune(name)) {
			cs = append(cs, cand{n, d})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for _, c := range cs[:min(len(cs), 3)] {
		out = append(out, c.name)
	}
	return out
}

// editDistance is Levenshtein's distance between a and b, in runes. Names here are
// short; inputs can be long, so it gives up (returns a large distance) past a bound.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 || abs(len(ra)-len(rb)) > 2 {
		return 1 << 20
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
