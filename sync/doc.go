// Package sync turns Gong pages into Postgres rows and decides what to fetch next,
// within Gong's limits, without losing a call.
//
// It is the only package that knows both gongapi (Gong's wire format) and store
// (Postgres). Its streams are users, workspaces, trackers and scorecard definitions
// (full refreshes), calls (time windows over POST /v2/calls/extensive, checkpointed
// after every page), transcripts (batches of call ids) and answered scorecards
// (windows of review dates over POST /v2/stats/activity/scorecards). The settle pass re-reads recent windows to catch
// calls Gong processed late, changed, or deleted; a backfill reads a historical range.
// Every request is counted in the Postgres ledger before it is sent (Budget).
package sync
