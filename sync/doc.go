// Package sync turns Gong pages into Postgres rows and decides what to fetch next,
// within Gong's limits, without losing a call.
//
// It is the only package that knows both gongapi (Gong's wire format) and store
// (Postgres). Its fifteen streams are declared once, in streamDefs (streams.go), and
// read from there by the daemon's schedule groups, ParseStreams, `sync --help` and
// the tests (StreamNames):
//
//   - Full refreshes: users, workspaces, trackers and scorecards (the scorecard
//     definitions), with the users' schedule group; library (folders and the calls in
//     them) and call_outcomes, once a day. What Gong stops listing gets deleted_at.
//   - calls: time windows over POST /v2/calls/extensive, checkpointed after every
//     page; transcripts: batches of the stored calls' ids, after the calls.
//   - answered_scorecards: windows of review dates over POST
//     /v2/stats/activity/scorecards, with the calls.
//   - user_activity and user_interaction_stats: dated (Gong keeps them per calendar
//     day and revises recent days), once a day over the settle window's days.
//   - settle and answered_scorecards_settle: re-read the last settle window to catch
//     what Gong processed late, changed or deleted; sweep and
//     answered_scorecards_sweep: re-read the older history a daily slice at a time.
//     These four run on demand (named, or on the settle schedule), never found due.
//
// A backfill reads a historical range of the calls, then their transcripts, then the
// answered scorecards and the dated streams, resumably, bringing along the full
// refreshes never done. Every request is counted in the Postgres ledger before it is
// sent (Budget).
package sync
