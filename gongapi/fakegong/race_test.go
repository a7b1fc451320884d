//go:build race

package fakegong

// raceEnabled reports a test binary built with -race, whose code runs several times
// slower: thresholds on speed hold for the plain build (make test) only.
const raceEnabled = true
