package sync

// Read-only views of the stream registry (streamDefs) for the command line and for
// tests outside this package: a list of streams written out by hand goes stale the
// day a stream is added, a list read from the registry cannot.

// StreamNames are every stream `sync --streams` accepts, in the order a pass runs
// them: the streams a pass finds due (AllStreams) and the ones that run only when
// named or scheduled (the settle passes and the sweep's parts). The backfill's own
// run is not among them: `gongsync backfill` starts it.
func StreamNames() []string {
	out := make([]string, 0, len(streamDefs))
	for _, s := range streamDefs {
		out = append(out, s.name)
	}
	return out
}

// OnDemandStreams are the streams a pass never finds due: they run when named in
// --streams or on their schedule group's tick.
func OnDemandStreams() []string {
	var out []string
	for _, s := range streamDefs {
		if s.onDemand {
			out = append(out, s.name)
		}
	}
	return out
}

// ScheduleGroups are the daemon's schedule groups (GONGSYNC_SCHEDULE_CALLS, _USERS,
// _SETTLE, _DAILY), in the order of Schedules' fields, for an external scheduler's
// `sync --schedule GROUP`: each stream runs on the ticks of the groups it names
// (GroupStreams).
func ScheduleGroups() []string {
	return []string{scheduleCalls, scheduleUsers, scheduleSettle, scheduleDaily}
}
