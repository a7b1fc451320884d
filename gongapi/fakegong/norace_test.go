//go:build !race

package fakegong

// raceEnabled reports a test binary built with -race (see race_test.go).
const raceEnabled = false
