package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/internal/secretbox"
)

func testBox(t *testing.T, fill byte) *secretbox.Box {
	t.Helper()
	key := bytes.Repeat([]byte{fill}, secretbox.KeySize)
	b, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleToken(access, refresh string) OAuthToken {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	return OAuthToken{
		ID: DefaultConnection, AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		Scopes:     []string{"api:calls:read:basic", "api:users:read"},
		APIBaseURL: "https://company-17.api.gong.io", ObtainedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
}

// rawTokenColumns returns every column of the row as text, the way someone with read
// access to the table (or a dump of it) would see it.
func rawTokenColumns(t *testing.T, s *Store) string {
	t.Helper()
	var out string
	err := s.pool.QueryRow(context.Background(), `
		SELECT concat_ws('|', id, encrypted, access_token, encode(access_token, 'escape'), encode(access_token, 'base64'),
			refresh_token, encode(refresh_token, 'escape'), token_type, scopes, api_base_url_for_customer)
		FROM oauth_tokens`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTokensAreEncryptedAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	const access, refresh = "at-Secret-0123456789abcdef", "rt-Secret-fedcba9876543210"
	toks := s.Tokens(TokenOptions{Box: testBox(t, 7)})
	saved, err := toks.Save(ctx, sampleToken(access, refresh))
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Encrypted || saved.Generation != 1 || saved.AccessToken != access || saved.RefreshToken != refresh {
		t.Fatalf("saved row: %v encrypted=%v", saved, saved.Encrypted)
	}

	raw := rawTokenColumns(t, s)
	for _, secret := range []string{access, refresh, "Secret-0123", "Secret-fedc"} {
		if strings.Contains(raw, secret) {
			t.Fatalf("the table shows %q in clear: %s", secret, raw)
		}
	}
	// The raw bytes too, not only their text forms.
	var a, r []byte
	if err := s.pool.QueryRow(ctx, "SELECT access_token, refresh_token FROM oauth_tokens").Scan(&a, &r); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(a, []byte(access)) || bytes.Contains(r, []byte(refresh)) || len(a) < len(access)+16 {
		t.Fatalf("stored bytes are not sealed: %x / %x", a, r)
	}

	got, err := toks.Load(ctx, DefaultConnection)
	if err != nil || got.AccessToken != access || got.RefreshToken != refresh || got.APIBaseURL != saved.APIBaseURL ||
		!got.ExpiresAt.Equal(saved.ExpiresAt) || len(got.Scopes) != 2 {
		t.Fatalf("Load = %v, %v", got, err)
	}

	// Another key, or none, cannot read them; the description needs no key.
	if _, err := s.Tokens(TokenOptions{Box: testBox(t, 8)}).Load(ctx, DefaultConnection); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("load with another key: %v", err)
	}
	if _, err := s.Tokens(TokenOptions{}).Load(ctx, DefaultConnection); !errors.Is(err, ErrNoEncryptionKey) {
		t.Errorf("load without a key: %v", err)
	}
	if _, err := s.Tokens(TokenOptions{AllowPlaintext: true}).Load(ctx, DefaultConnection); !errors.Is(err, ErrNoEncryptionKey) {
		t.Errorf("load encrypted tokens in plaintext mode: %v", err)
	}
	info, err := s.OAuthTokenInfo(ctx, DefaultConnection)
	if err != nil || info.AccessToken != "" || info.RefreshToken != "" || !info.Encrypted || info.Generation != 1 {
		t.Fatalf("OAuthTokenInfo = %#v, %v", info, err)
	}

	// Ciphertexts swapped between the columns do not open.
	if _, err := s.pool.Exec(ctx, "UPDATE oauth_tokens SET access_token = refresh_token, refresh_token = access_token"); err != nil {
		t.Fatal(err)
	}
	if _, err := toks.Load(ctx, DefaultConnection); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("load swapped columns: %v", err)
	}

	// Nothing prints the tokens.
	for _, s := range []string{fmt.Sprint(got), fmt.Sprintf("%+v %#v %x %s", got, got, got, got)} {
		if strings.Contains(s, access) || strings.Contains(s, refresh) {
			t.Errorf("printing the token shows it: %s", s)
		}
	}
	if _, err := s.OAuthTokenInfo(ctx, "other"); !errors.Is(err, ErrNoToken) {
		t.Errorf("info of a missing connection: %v", err)
	}
	if _, err := toks.Load(ctx, "other"); !errors.Is(err, ErrNoToken) {
		t.Errorf("load of a missing connection: %v", err)
	}
}

func TestTokensRefusedWithoutKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	toks := s.Tokens(TokenOptions{})
	if err := toks.CanWrite(); !errors.Is(err, ErrNoEncryptionKey) {
		t.Fatalf("CanWrite without a key: %v", err)
	}
	if _, err := toks.Save(ctx, sampleToken("a-token", "r-token")); !errors.Is(err, ErrNoEncryptionKey) {
		t.Fatalf("Save without a key: %v", err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM oauth_tokens").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after a refused save: %d, %v", n, err)
	}
}

func TestTokensInPlaintextWarnEveryTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	var logs bytes.Buffer
	log := zerolog.New(&syncWriter{w: &logs})
	const access, refresh = "plain-access-token-1", "plain-refresh-token-1"
	toks := s.Tokens(TokenOptions{AllowPlaintext: true, Logger: log})
	saved, err := toks.Save(ctx, sampleToken(access, refresh))
	if err != nil {
		t.Fatal(err)
	}
	if saved.Encrypted || !strings.Contains(rawTokenColumns(t, s), access) {
		t.Fatalf("plaintext mode: encrypted=%v", saved.Encrypted)
	}
	for range 2 {
		if _, err := toks.Load(ctx, DefaultConnection); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "INSECURE"); n != 3 {
		t.Errorf("want a warning for the save and each of 2 loads, got %d:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), access) || strings.Contains(logs.String(), refresh) {
		t.Errorf("the warning shows a token:\n%s", logs.String())
	}
	// Without the flag or a key, plaintext rows are not used.
	if _, err := s.Tokens(TokenOptions{}).Load(ctx, DefaultConnection); !errors.Is(err, ErrNoEncryptionKey) {
		t.Errorf("load plaintext rows without the flag: %v", err)
	}
	// With a key configured later they are read, and the next write seals them.
	keyed := s.Tokens(TokenOptions{Box: testBox(t, 3), Logger: log})
	upd, err := keyed.Update(ctx, DefaultConnection, func(cur OAuthToken) (*OAuthToken, error) {
		if cur.AccessToken != access {
			t.Errorf("read %q", cur.AccessToken)
		}
		next := cur
		next.AccessToken = "sealed-access-token-2"
		return &next, nil
	})
	if err != nil || !upd.Encrypted || upd.Generation != 2 || upd.RefreshToken != refresh {
		t.Fatalf("update: %v encrypted=%v, %v", upd, upd.Encrypted, err)
	}
	if raw := rawTokenColumns(t, s); strings.Contains(raw, refresh) || strings.Contains(raw, "sealed-access") {
		t.Fatalf("after a keyed write the table still shows a token: %s", raw)
	}
}

func TestTokensUpdateSerializesAcrossPools(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := migrated.NewDatabase(t)
	a := openStore(t, url, "")
	b := openStore(t, url, "")
	box := testBox(t, 1)
	ta, tb := a.Tokens(TokenOptions{Box: box}), b.Tokens(TokenOptions{Box: box})
	if _, err := ta.Save(ctx, sampleToken("access-0", "refresh-0")); err != nil {
		t.Fatal(err)
	}

	// Each update reads the refresh token the last one wrote and writes the next:
	// a lost update or two updates at once would repeat a number.
	var inside, overlaps atomic.Int32
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	const perStore = 6
	for _, toks := range []*Tokens{ta, tb} {
		for range perStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := toks.Update(ctx, DefaultConnection, func(cur OAuthToken) (*OAuthToken, error) {
					if inside.Add(1) > 1 {
						overlaps.Add(1)
					}
					defer inside.Add(-1)
					mu.Lock()
					dup := seen[cur.RefreshToken]
					seen[cur.RefreshToken] = true
					mu.Unlock()
					if dup {
						t.Errorf("refresh token %s used twice", cur.RefreshToken)
					}
					time.Sleep(5 * time.Millisecond)
					var n int
					fmt.Sscanf(cur.RefreshToken, "refresh-%d", &n)
					next := cur
					next.AccessToken, next.RefreshToken = fmt.Sprintf("access-%d", n+1), fmt.Sprintf("refresh-%d", n+1)
					return &next, nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Fatalf("%d updates ran while another held the row", overlaps.Load())
	}
	got, err := tb.Load(ctx, DefaultConnection)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("refresh-%d", 2*perStore); got.RefreshToken != want || got.Generation != 1+2*perStore {
		t.Fatalf("after %d updates: %s generation %d; want %s generation %d", 2*perStore, got.RefreshToken, got.Generation, want, 1+2*perStore)
	}

	// A nil answer writes nothing; an error rolls back.
	same, err := ta.Update(ctx, DefaultConnection, func(OAuthToken) (*OAuthToken, error) { return nil, nil })
	if err != nil || same.Generation != got.Generation {
		t.Fatalf("nil update: generation %d, %v", same.Generation, err)
	}
	boom := errors.New("boom")
	if _, err := ta.Update(ctx, DefaultConnection, func(cur OAuthToken) (*OAuthToken, error) { return &cur, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing update: %v", err)
	}
	if _, err := ta.Update(ctx, "nobody", func(cur OAuthToken) (*OAuthToken, error) { return nil, nil }); !errors.Is(err, ErrNoToken) {
		t.Fatalf("update of a missing connection: %v", err)
	}

	// A login-required mark sticks until a new login.
	marked, err := ta.Update(ctx, DefaultConnection, func(cur OAuthToken) (*OAuthToken, error) {
		cur.LoginRequired = "invalid_grant"
		return &cur, nil
	})
	if err != nil || marked.LoginRequired != "invalid_grant" || marked.LoginRequiredAt.IsZero() {
		t.Fatalf("mark: %v %q, %v", marked, marked.LoginRequired, err)
	}
	fresh, err := tb.Save(ctx, sampleToken("access-new", "refresh-new"))
	if err != nil || fresh.LoginRequired != "" || fresh.Generation != marked.Generation+1 {
		t.Fatalf("login after the mark: %v %q, %v", fresh, fresh.LoginRequired, err)
	}
}

// syncWriter lets concurrent log writes share a buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
