package main

// Placeholders for commands whose issues are in progress; each is replaced by its own
// file when it lands.

import (
	"context"
	"errors"
	"net/http"

	"github.com/gongsync/gongsync/gongapi"
	"github.com/gongsync/gongsync/internal/config"
	"github.com/gongsync/gongsync/store"
	"github.com/rs/zerolog"
)

var errNotYet = errors.New("not available in this build yet")

func runAuth(ctx context.Context, m *Main, args []string) error { return errNotYet }
func webhookHandler(a *app) (http.Handler, error)               { return nil, errNotYet }
func oauthAuthorizer(ctx context.Context, cfg *config.Config, st *store.Store, log zerolog.Logger) (gongapi.Authorizer, error) {
	return nil, errNotYet
}
