// Package fakegong is a simulated Gong API server for tests, demos and benchmarks.
//
// It answers the endpoints the fifteen streams of a sync read, the way Gong does:
// GET /v2/users, POST /v2/users/extensive, GET /v2/workspaces, GET
// /v2/settings/trackers, GET /v2/calls, POST /v2/calls/extensive, POST
// /v2/calls/transcript, GET /v2/settings/scorecards, POST
// /v2/stats/activity/scorecards (reviews by review date), POST
// /v2/stats/activity/day-by-day, POST /v2/stats/interaction, GET
// /v2/library/folders, GET /v2/library/folder-content and GET /v2/call-outcomes
// (routes in server.go, each with the OAuth scope Gong's document names for it;
// WithheldScopes refuses some, LibraryUnavailable plays a plan without the library).
// It also answers those the actions' tests need (actions.go): GET /v2/calls/{id}, the three users-access
// operations, POST /v2/calls (addCall; a second call with the same clientUniqueId is
// a 409), and the data-privacy lookups and erasures (the erase answers only a
// requestId, even for an address it does not know, and the calls with the address
// stop being served after Options.ErasureDelay on the virtual clock). Every other
// operation of Gong's API answers 404 "Not simulated". Including the parts that trip
// connectors up:
//
//   - Basic authentication with one access key; 401 with Gong's error body otherwise,
//     403 on demand (Faults.Forbidden, or Fault403 in a script).
//   - 100 records per page. Cursors are opaque, signed, keyset-based (calls that
//     appear between two pages shift nothing), bound to the request they continue
//     (a changed filter or selector is a 400) and expire after Options.CursorTTL of
//     virtual time with a 400 whose text contains "cursor has expired". GET
//     endpoints read the cursor from the query, POST endpoints from the top-level
//     body; a cursor in the query string of a POST is ignored, so page 1 comes back.
//   - Filters on start time, from inclusive and to exclusive; GET /v2/calls filters
//     and sorts web conferences on their scheduled time instead, as Gong documents.
//     Results come oldest first, ties broken by id.
//   - Empty results are 404 with exactly "No calls found corresponding to the
//     provided filters" (users: "No users found …"); every other 404 says something
//     else. An empty callIds array and more than 100 callIds are 400s. Request bodies
//     are decoded strictly: a field Gong's schema does not have is a 400.
//   - Every answer has a requestId of 19 lowercase letters and digits, echoed in the
//     x-traceid header; JSON is served as "application/json;charset=UTF-8".
//   - Only the blocks the contentSelector asks for; CRM context only for Basic
//     (links) or Extended (links and fields), once per contextTiming; tracker
//     occurrences only for calls since 2023-01-01; parties absent on imported calls.
//   - Explicit nulls in user and call metadata, absent keys in parties, a null
//     speakerId for silent parties; timestamps in the company's offset with 0, 3 or
//     6 fractional digits; ids of 18 to 20 digits. Fields Gong does not document
//     appear only with Options.UnknownFields (users always carry
//     conferencingProviders, which live tenants send).
//   - A per-second limit (a token bucket on real time) and a daily quota per virtual
//     UTC day, both answering 429 with Retry-After in whole seconds (the daily one
//     until the next virtual midnight), or without it (OmitRetryAfter).
//
// The fake reads Gong's format for itself: its records (types.go: CallData,
// CallTranscript, UserMetadata, …, named after the schemas of Gong's OpenAPI
// document) and its hand-written encoder owe nothing to package gongapi, which it
// does not import, so a misreading of Gong's format by the client cannot be shared by
// the fake. Every answer is validated against Gong's document in the tests
// (openapi_test.go, against an extract kept under testdata).
//
// # OAuth and webhooks
//
// The fake is also Gong's OAuth authorization server: GET /oauth2/authorize approves
// at once and redirects with a code and the state; POST
// /oauth2/generate-customer-token (client credentials in a Basic header, parameters
// on the query string or in a form body) exchanges codes and refresh tokens, which
// are single-use and rotate (a reused one gets Gong's invalid_grant body), with a
// configurable access-token lifetime on the fake's clock. The
// api_base_url_for_customer it hands out is the fake itself under
// CustomerPathPrefix, and Bearer tokens are accepted only there (expired ones get a
// 401), so a client that ignores the customer URL fails here as it would for an EU
// tenant. SendWebhook and RunWebhooks fire automation-rule webhooks for a call,
// signed like Gong's (an RS256 JWT with webhook_url, body_sha256 and exp), with
// knobs to make them expired, unsigned or addressed to another URL.
//
// # Time
//
// A Clock drives what is visible. It follows real time until a test sets or
// advances it; from then on it is virtual and moves only when told. A call is
// visible once processed (a LateShare of calls is processed hours after it ended),
// its transcript later still (imported and very short calls never get one), some
// calls change title, privacy or parties after first being visible (ChangeShare),
// some are deleted (DeleteShare), and public comments keep arriving after a call
// ends. The Dataset reports all of it (AllCalls, CallAt, VisibleCalls,
// TranscriptAt, and for the other streams ScorecardsAt, AnsweredScorecardsAt,
// ActivityAt, InteractionStatsAt, LibraryFoldersAt, LibraryFolderCallsAt,
// CallOutcomesAt) so tests can compare what a sync stored with what Gong held, and
// its hooks (AddCall, ChangeCall, DeleteCall, RestoreCall, SetProcessedAt,
// SetTranscriptAt, ChangeUser, RemoveUser, RemoveTracker, AddReview, EditReview,
// DeleteReview, RemoveScorecard, RemoveLibraryFolder, RemoveCallOutcome) make late, changed,
// deleted and reappearing records happen exactly when a test needs them. Gong
// revises recent days of activity and stats as late calls are processed; the fake's
// figures for a day are computed from the calls visible at the clock's time, so
// they change the same way.
//
// # Scale
//
// Call metadata is generated eagerly and cheaply from the seed (100,000 calls take
// well under a second); content and transcripts are generated on demand from the
// seed and the call's sequence number, so the same call always reads the same, and
// the JSON is written by hand, so a page of full calls costs little CPU.
//
// # Faults and control
//
// SetFaults injects 500s, 502s, 503s, spurious 429s, latency, requests held past
// the client's timeout, connections dropped mid-body, malformed JSON, HTML or an
// empty body with 200, and a wrong content type, at random rates or in a
// deterministic script. The /_fake/ routes (no auth, not counted) expose the stats,
// the clock, the faults and the call hooks to tests that run the fake in another
// process: GET|DELETE /_fake/stats, GET|POST /_fake/clock, GET|POST /_fake/faults,
// GET|POST /_fake/calls and POST /_fake/calls/{id}/{delete,restore,change}.
package fakegong
