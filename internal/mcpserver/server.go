// Package mcpserver answers AI assistants from the synced copy over the Model Context
// Protocol: full-text search of transcripts, a call with its context, a transcript as
// speaker turns, calls by filter, one read-only SQL statement, and how fresh the copy
// is. It reads Postgres only: no answer sends a request to Gong, so an assistant's
// questions never spend the company's daily API budget.
//
// Private calls (calls.is_private) and calls an erasure touched are left out of every
// answer unless Options.IncludePrivate is set (GONGSYNC_AI_INCLUDE_PRIVATE).
//
// The SQL lives in this package rather than in store: it is read-only and shaped for
// an assistant's answers (snippets, turns, citations), store's job is what the sync
// writes, and the query tool needs a transaction built for it (query.go).
package mcpserver

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/rs/zerolog"

	"github.com/gongsync/gongsync/store"
)

// Options configures a Server.
type Options struct {
	// Store is the synced schema. Give the server a pool of its own: the query tool
	// runs an assistant's SQL on its connections.
	Store *store.Store
	// ControlSchema is the schema of the connection registry: the query tool refuses
	// statements that name it, as it refuses those naming the synced schema.
	ControlSchema string
	// IncludePrivate lets the answers hold private calls and calls an erasure touched.
	IncludePrivate bool
	// Version is gongsync's, reported to clients.
	Version string
	Logger  zerolog.Logger
}

// Server is the MCP server over one synced schema. It is safe for concurrent use by
// many sessions.
type Server struct {
	st             *store.Store
	schema         string
	controlSchema  string
	includePrivate bool
	log            zerolog.Logger
	mcp            *mcp.Server
}

// New builds the server and registers its tools and its schema resource.
func New(o Options) *Server {
	s := &Server{st: o.Store, schema: o.Store.Schema(), controlSchema: o.ControlSchema,
		includePrivate: o.IncludePrivate, log: o.Logger}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "gongsync", Title: "Gong calls (gongsync's synced copy)", Version: o.Version},
		&mcp.ServerOptions{Instructions: instructions})
	s.addTools()
	s.mcp.AddResource(&mcp.Resource{URI: SchemaURI, Name: "schema", Title: "The synced schema",
		Description: "Every table, view and column of the synced schema, from the database's own COMMENTs: what the query tool can read.",
		MIMEType:    "text/markdown"}, s.readSchema)
	return s
}

// instructions tell the assistant how to use the tools together.
const instructions = `The company's Gong calls, copied into Postgres by gongsync. Nothing here asks Gong: answers come from the copy (sync_status says how fresh it is).
Find calls with search_calls (words said in the transcripts) or list_calls (by date, participant, company, CRM account or opportunity, rep, tracker); read one with get_call and get_transcript.
Cite calls by title, start time and url (the call's page in Gong), and quotes by speaker and time.
For counts and other questions the tools do not answer, query runs one read-only SQL statement; read the schema resource first.`

// MCP returns the SDK's server, for a transport to run.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// RunStdio serves one client on in and out (newline-delimited JSON-RPC) until the
// client hangs up or ctx ends: `gongsync mcp`, started by a desktop assistant.
func (s *Server) RunStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	// The streams are the process's: closing them is the process's business.
	err := s.mcp.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(in), Writer: nopWriteCloser{out}})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// sessionTimeout closes an HTTP session that sent nothing for this long: an assistant
// that went away should not hold one forever.
const sessionTimeout = 30 * time.Minute

// Path is where Handler serves MCP.
const Path = "/mcp"

// Handler serves MCP over streamable HTTP at Path behind a bearer token: the daemon's
// GONGSYNC_MCP_ADDR. A missing or wrong token gets 401 before anything else, so
// nothing, not even the list of tools, is told without it.
func (s *Server) Handler(token string) http.Handler {
	want := []byte(token)
	mux := http.NewServeMux()
	mux.Handle(Path, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, &mcp.StreamableHTTPOptions{
		SessionTimeout: sessionTimeout,
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such route: MCP is served at "+Path, http.StatusNotFound)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		// ConstantTimeCompare answers at once for a different length, which tells the
		// length only: the token is at least 32 random characters.
		if !ok || len(want) == 0 || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			s.log.Warn().Str("server", "mcp").Str("remote", r.RemoteAddr).Str("method", r.Method).
				Str("path", r.URL.Path).Int("status", http.StatusUnauthorized).Msg("mcp request refused")
			w.Header().Set("WWW-Authenticate", `Bearer realm="gongsync mcp"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "missing or wrong bearer token (Authorization: Bearer <GONGSYNC_MCP_TOKEN>)"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}
