package config

import (
	"strings"
	"testing"
)

func TestOAuthSettings(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://u@localhost/db", "GONG_OAUTH_CLIENT_ID": "cid", "GONG_OAUTH_CLIENT_SECRET": "cs"}
	c, err := load(t, Database|Gong, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.AuthMode() != "oauth" || c.OAuthAuthorizeURL != "https://app.gong.io/oauth2/authorize" ||
		c.OAuthTokenURL != "https://app.gong.io/oauth2/generate-customer-token" || c.InsecurePlaintextTokens {
		t.Fatalf("OAuth defaults: %+v", c)
	}
	// The plaintext switch is a flag without a value, or a variable.
	if c, err = load(t, Database|Gong, env, "--insecure-plaintext-tokens"); err != nil || !c.InsecurePlaintextTokens {
		t.Fatalf("--insecure-plaintext-tokens: %v, %v", c, err)
	}
	env["GONGSYNC_INSECURE_PLAINTEXT_TOKENS"] = "true"
	if c, err = load(t, Database|Gong, env); err != nil || !c.InsecurePlaintextTokens {
		t.Fatalf("GONGSYNC_INSECURE_PLAINTEXT_TOKENS=true: %v, %v", c, err)
	}
	if c, err = load(t, Database|Gong, env, "--insecure-plaintext-tokens=false"); err != nil || c.InsecurePlaintextTokens {
		t.Fatalf("the flag wins over the variable: %v, %v", c, err)
	}
	env["GONGSYNC_INSECURE_PLAINTEXT_TOKENS"] = "perhaps"
	if _, err = load(t, Database|Gong, env); err == nil || !strings.Contains(err.Error(), "GONGSYNC_INSECURE_PLAINTEXT_TOKENS") {
		t.Fatalf("a bad boolean: %v", err)
	}
	delete(env, "GONGSYNC_INSECURE_PLAINTEXT_TOKENS")

	// A key that is not 32 bytes is refused without being repeated.
	const badKey = "c2hvcnQta2V5LW5vdC0zMi1ieXRlcw" // 22 bytes
	env["GONGSYNC_ENCRYPTION_KEY"] = badKey
	env["GONG_OAUTH_TOKEN_URL"] = "https://user:pw@fake.example/token"
	_, err = load(t, Database|Gong, env)
	if err == nil || !strings.Contains(err.Error(), "GONGSYNC_ENCRYPTION_KEY") || !strings.Contains(err.Error(), "GONG_OAUTH_TOKEN_URL") {
		t.Fatalf("bad key and token URL: %v", err)
	}
	if strings.Contains(err.Error(), badKey) || strings.Contains(err.Error(), "user:pw") {
		t.Fatalf("the error repeats the key: %v", err)
	}
	env["GONGSYNC_ENCRYPTION_KEY"] = strings.Repeat("ab", 32)
	env["GONG_OAUTH_TOKEN_URL"] = "http://127.0.0.1:8089/oauth2/generate-customer-token"
	if c, err = load(t, Database|Gong, env); err != nil || c.EncryptionKey.Reveal() != strings.Repeat("ab", 32) ||
		c.OAuthTokenURL != env["GONG_OAUTH_TOKEN_URL"] {
		t.Fatalf("good key and fake token URL: %v, %v", c, err)
	}
}
