package fakegong

import "math"

// transcriptSpread is the spread (σ of the logarithm) of transcript lengths around
// their average: a 30-minute sales call has a few hundred sentences, an all-hands of
// two hours several times that. At 0.7, about one transcript in a hundred is over four
// times the average, so an average of 250 sentences gives some over 1,000.
const transcriptSpread = 0.7

// transcriptLength draws a transcript's number of sentences: log-normal around avg
// (its mean is avg), at least 1, at most 8 times avg.
func transcriptLength(r *rng, avg int) int {
	// Box–Muller: a standard normal from two uniforms; 1-float() is never 0.
	z := math.Sqrt(-2*math.Log(1-r.float())) * math.Cos(2*math.Pi*r.float())
	m := math.Exp(transcriptSpread*z - transcriptSpread*transcriptSpread/2)
	return max(1, min(8*avg, int(float64(avg)*m)))
}
