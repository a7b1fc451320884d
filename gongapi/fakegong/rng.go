package fakegong

// rng is a splitmix64 generator: tiny, allocation-free and good enough for fake
// data. Every lazily generated part of a call has its own stream, keyed by the
// dataset seed, the call's sequence number and the part, so generating one part
// never shifts another and the same call always reads the same.
type rng struct{ s uint64 }

// Stream keys for the parts of a call.
const (
	streamMeta uint64 = iota + 1
	streamTitle
	streamPlan
	streamParties
	streamStructure
	streamTopics
	streamTrackers
	streamBrief
	streamOutline
	streamHighlights
	streamKeyPoints
	streamOutcome
	streamSpeakers
	streamStats
	streamVideo
	streamQuestions
	streamComments
	streamMedia
	streamPartyCRM
	streamCRM
	streamTranscript
	streamChange
	streamUsers
	streamDataset
)

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRNG(seed uint64, seq int32, stream uint64) rng {
	return rng{s: mix64(seed ^ mix64(uint64(uint32(seq))<<8|stream))}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn returns a number in [0, n); n must be > 0. The modulo bias is irrelevant here.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// chance is true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// uniform returns a number in [lo, hi).
func (r *rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// gongID draws a Gong-style id: 18 to 20 digits (20-digit ids overflow int64, as
// Gong warns), never starting with 0.
func (r *rng) gongID() uint64 {
	switch u := r.intn(10); {
	case u < 2: // 18 digits
		return 100_000_000_000_000_000 + r.next()%900_000_000_000_000_000
	case u < 9: // 19 digits
		return 1_000_000_000_000_000_000 + r.next()%9_000_000_000_000_000_000
	default: // 20 digits, up to the top of uint64
		return 10_000_000_000_000_000_000 + r.next()%8_446_744_073_709_551_615
	}
}

// sfID draws an 18-character Salesforce-style record id with the given 3-character
// key prefix ("006" opportunity, "001" account, "003" contact, "00Q" lead).
func (r *rng) sfID(prefix string) string {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 18)
	copy(b, prefix)
	for i := 3; i < 18; i++ {
		b[i] = alnum[r.intn(len(alnum))]
	}
	return string(b)
}

// Stream keys of the parts beyond calls (activity.go, library.go, outcomes.go), away
// from the calls' keys above, so that adding them never shifts what the calls' parts
// draw.
const (
	streamActivity uint64 = 0x80 + iota
	streamLibrary
	streamFolderEntries
	streamOutcomes
	streamFlows
	streamLogs
	streamPermissions
	streamCrm
	streamManualAssociations
)
