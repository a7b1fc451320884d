package store

import (
	"context"
	"fmt"
	"time"
)

// The tables of users' daily activity and interaction stats (data Gong keeps per
// calendar day). Each is an entity table (the shared upsert: content hash, new,
// changed, restored, soft deletion); Gong gives a user's day and a stat no id, so sync
// synthesizes one from what identifies the record.

// UserActivityDay is one row of user_activity_days: what a user did on one calendar
// day of the company, as Gong reported it, with the calls of each activity as rows of
// user_daily_activity. Day is a date (its time of day and zone are ignored).
type UserActivityDay struct {
	ID               string    `db:"id"` // user_id|day
	UserID           string    `db:"user_id"`
	Day              time.Time `db:"day"`
	UserEmailAddress *string   `db:"user_email_address"`
	Raw              []byte    `db:"raw"` // the day as Gong sent it (JSON)

	Calls []UserDailyActivity
}

// UserDailyActivity is one call Gong lists for one activity of a user's day: a row of
// user_daily_activity. UserID and Day repeat the day's, so a query needs no join.
type UserDailyActivity struct {
	UserID   string    `db:"user_id"`
	Day      time.Time `db:"day"`
	Activity string    `db:"activity,key"` // Gong's name of the list: callsAsHost, othersCallsListenedTo, …
	CallID   string    `db:"call_id,key"`
}

// UserInteractionStat is one measure of a user over a period (a row of
// user_interaction_stats): the period is [PeriodStart, PeriodEnd), calendar dates of
// the company.
type UserInteractionStat struct {
	ID          string    `db:"id"` // user_id|period_start|period_end|name
	UserID      string    `db:"user_id"`
	PeriodStart time.Time `db:"period_start"`
	PeriodEnd   time.Time `db:"period_end"`
	Name        string    `db:"name"`
	Value       *Decimal  `db:"value"` // as Gong wrote the number
	Raw         []byte    `db:"raw"`   // the user's stats for the period as Gong sent them (JSON)
}

var (
	activityDayEntity = newEntity("user activity day", "user_activity_days", childTable[UserActivityDay](&childRows[UserActivityDay, UserDailyActivity]{
		table: "user_daily_activity", parent: "user_activity_day_id",
		parentKey: func(d *UserActivityDay) *string { return &d.ID },
		shape:     shapeOf[UserDailyActivity](),
		of:        func(d *UserActivityDay) []UserDailyActivity { return d.Calls },
	}))
	interactionStatEntity = newEntity[UserInteractionStat]("user interaction stat", "user_interaction_stats")
)

// UpsertActivityDays writes users' days of activity; a day that is new or changed
// gets its rows of user_daily_activity replaced.
func (tx *Tx) UpsertActivityDays(ctx context.Context, days []UserActivityDay) (UpsertResult, error) {
	return upsert(ctx, tx, activityDayEntity, days)
}

// UpsertInteractionStats writes users' interaction stats.
func (tx *Tx) UpsertInteractionStats(ctx context.Context, stats []UserInteractionStat) (UpsertResult, error) {
	return upsert(ctx, tx, interactionStatEntity, stats)
}

// MarkActivityDaysMissing soft-deletes the users' days in [from, to) not seen since
// notSeenSince (the database time a complete read of those days began): Gong no
// longer reports activity for that user on that day. It returns their ids.
func (tx *Tx) MarkActivityDaysMissing(ctx context.Context, from, to, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "user_activity_days", "day >= $2::date AND day < $3::date", notSeenSince, from, to)
	if err != nil {
		return nil, fmt.Errorf("mark missing activity days of [%s, %s): %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return ids, nil
}

// MarkInteractionStatsMissing soft-deletes the stats of periods starting in
// [from, to) not seen since notSeenSince, and returns their ids.
func (tx *Tx) MarkInteractionStatsMissing(ctx context.Context, from, to, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "user_interaction_stats", "period_start >= $2::date AND period_start < $3::date", notSeenSince, from, to)
	if err != nil {
		return nil, fmt.Errorf("mark missing interaction stats of [%s, %s): %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return ids, nil
}
