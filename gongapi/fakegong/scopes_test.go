package fakegong

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Withheld scopes: OAuth tokens are issued without them, and an endpoint that needs
// one answers 401 naming it in Gong's words, to a token and to the access key alike.
// The other endpoints answer as usual.
func TestWithheldScopesAreRefusedByName(t *testing.T) {
	t.Parallel()
	f := newFake(t, Options{Calls: 20, Clock: NewVirtualClock(fixedNow), WithheldScopes: []string{"api:calls:read:transcript"}})
	c := oauthClient{f: f, redirect: "http://127.0.0.1:8765/oauth/callback"}
	code := c.code("api:users:read api:calls:read:extensive api:calls:read:transcript")
	tok := c.mustToken(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.redirect}}, false)
	if tok.Scope != "api:users:read api:calls:read:extensive" {
		t.Fatalf("granted scope %q: the withheld one must be left out", tok.Scope)
	}
	post := func(path, auth string) answer {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.url+path, strings.NewReader(`{"filter":{"fromDateTime":"2024-01-01T00:00:00Z","toDateTime":"2024-03-01T00:00:00Z"}}`))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		} else {
			req.SetBasicAuth(DefaultAccessKey, DefaultAccessKeySecret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{status: resp.StatusCode, header: resp.Header, body: b}
	}
	want := "You don't have permission to use 'api:calls:read:transcript' in your app."
	for _, auth := range []string{"Bearer " + tok.AccessToken, ""} {
		texts := errorBody(t, post(CustomerPathPrefix+"/v2/calls/transcript", auth), http.StatusUnauthorized)
		if len(texts) != 1 || texts[0] != want {
			t.Errorf("refusal %q, want %q", texts, want)
		}
		if a := post(CustomerPathPrefix+"/v2/calls/extensive", auth); a.status != http.StatusOK {
			t.Errorf("calls/extensive with the scope granted: %d %s", a.status, a.body)
		}
	}
	// A scope the token was never asked for is refused the same way.
	if texts := errorBody(t, f.bearer(CustomerPathPrefix+"/v2/workspaces", tok.AccessToken), http.StatusUnauthorized); !strings.Contains(texts[0], "'api:workspaces:read'") {
		t.Errorf("workspaces without api:workspaces:read: %q", texts)
	}
}

// Transcript lengths spread around their average with a long tail: the mean stays
// near the average asked for, and about one in a hundred is over four times it.
func TestTranscriptLengthsHaveALongTail(t *testing.T) {
	t.Parallel()
	const avg, n = 250, 20_000
	r := newRNG(1, 0, streamTranscript)
	var sum, long, longest int
	for range n {
		l := transcriptLength(&r, avg)
		sum += l
		if l > 1000 {
			long++
		}
		longest = max(longest, l)
		if l < 1 || l > 8*avg {
			t.Fatalf("length %d out of [1, %d]", l, 8*avg)
		}
	}
	mean := float64(sum) / n
	t.Logf("mean %.1f, %d of %d over 1,000, longest %d", mean, long, n, longest)
	if mean < 0.95*avg || mean > 1.05*avg {
		t.Errorf("mean length %.1f, want about %d", mean, avg)
	}
	if long < n/400 || long > n/25 {
		t.Errorf("%d of %d transcripts over 1,000 sentences; want about 1%%", long, n)
	}
}
