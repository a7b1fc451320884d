package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// raceLedger has workers on two pools (two processes) reserve until refused and
// returns how many reservations each kind got.
func raceLedger(t *testing.T, r Reservation, backfillShare float64) (granted, backfill int64, stores []*Store) {
	t.Helper()
	ctx := context.Background()
	db := migrated.NewDatabase(t)
	stores = []*Store{openStore(t, db, ""), openStore(t, db, "")}
	var (
		wg            sync.WaitGroup
		total, filled atomic.Int64
	)
	const workers = 50
	for p, s := range stores {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := r
				mine.Backfill = float64(w) < backfillShare*workers
				for {
					_, err := s.Reserve(ctx, mine)
					if err != nil {
						var le *LimitError
						if !errors.As(err, &le) || !errors.Is(err, ErrLimitReached) {
							t.Errorf("pool %d worker %d: %v", p, w, err)
						}
						return
					}
					total.Add(1)
					if mine.Backfill {
						filled.Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()
	return total.Load(), filled.Load(), stores
}

func TestLedgerNeverExceedsTheLimit(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	granted, _, stores := raceLedger(t, Reservation{Day: day, Limit: 1000}, 0)
	if granted != 1000 {
		t.Fatalf("granted %d reservations for 1000 slots", granted)
	}
	u, err := stores[1].Usage(context.Background(), day)
	if err != nil || u.Requests != 1000 || u.BackfillRequests != 0 {
		t.Fatalf("usage %+v, %v", u, err)
	}
}

func TestLedgerBackfillShare(t *testing.T) {
	t.Parallel()
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	// Half the workers backfill: they may have 300 of the day's 1,000 requests; the
	// others keep going until the day is spent.
	granted, backfill, stores := raceLedger(t, Reservation{Day: day, Limit: 1000, BackfillLimit: 300}, 0.5)
	if granted != 1000 {
		t.Fatalf("granted %d reservations for 1000 slots", granted)
	}
	u, err := stores[0].Usage(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	if u.Requests != 1000 || int64(u.BackfillRequests) != backfill || backfill > 300 {
		t.Fatalf("usage %+v with %d backfill reservations granted (share 300)", u, backfill)
	}
	// Workers stop at their first refusal, so when the day was not spent first the
	// backfill share must have been filled exactly.
	if backfill < 300 {
		t.Logf("the day ran out before the backfill share (%d of 300)", backfill)
	}
}

func TestLedgerRefusals(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data")
	}
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, berlin) // 2025-03-03 23:00 UTC: still the 4th in Berlin
	for i := range 3 {
		if _, err := s.Reserve(ctx, Reservation{Day: day, Limit: 5, Backfill: true, BackfillLimit: 2}); i < 2 && err != nil {
			t.Fatalf("backfill reservation %d: %v", i, err)
		} else if i == 2 {
			var le *LimitError
			if !errors.As(err, &le) || !le.Backfill || le.Limit != 2 || le.Used != 2 {
				t.Fatalf("third backfill reservation: %#v", err)
			}
		}
	}
	for range 3 {
		if err := s.ReserveRequest(ctx, day, 5); err != nil {
			t.Fatal(err)
		}
	}
	err = s.ReserveRequest(ctx, day, 5)
	var le *LimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrLimitReached) || le.Backfill || le.Used != 5 || le.Limit != 5 {
		t.Fatalf("sixth reservation: %#v", err)
	}
	if want := time.Date(2025, 3, 5, 0, 0, 0, 0, berlin); !le.ResetAt.Equal(want) || !strings.Contains(err.Error(), "2025-03-05T00:00:00+01:00") {
		t.Fatalf("reset at %v (%v), want %v", le.ResetAt, err, want)
	}
	if n := count(t, s, "SELECT count(*) FROM api_usage WHERE day = '2025-03-04' AND requests = 5 AND backfill_requests = 2"); n != 1 {
		t.Fatal("ledger row is not the 4th of March with 5 requests, 2 of them backfill")
	}
	// A zero limit refuses without counting, and another day starts afresh.
	if err := s.ReserveRequest(ctx, day.AddDate(0, 0, 1), 0); !errors.Is(err, ErrLimitReached) {
		t.Fatalf("zero limit: %v", err)
	}
	if err := s.ReserveRequest(ctx, day.AddDate(0, 0, 1), 1); err != nil {
		t.Fatalf("next day: %v", err)
	}
	if u, err := s.Usage(ctx, day.AddDate(0, 0, 2)); err != nil || u.Requests != 0 {
		t.Fatalf("unused day: %+v, %v", u, err)
	}
}

// The shared pace: reservations from two pools (two processes) at once get send times
// (on the database's clock) at least the interval apart, whoever asked, and each is
// told to wait until its own.
func TestLedgerPacesReservationsAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := migrated.NewDatabase(t)
	stores := []*Store{openStore(t, db, ""), openStore(t, db, "")}
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	const interval = 40 * time.Millisecond
	var (
		mu     sync.Mutex
		grants []Grant
		wg     sync.WaitGroup
	)
	for _, s := range stores {
		for range 10 {
			wg.Go(func() {
				for range 3 {
					g, err := s.Reserve(ctx, Reservation{Day: day, Limit: 1000, Interval: interval})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					grants = append(grants, g)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	slices.SortFunc(grants, func(a, b Grant) int { return a.SendAt.Compare(b.SendAt) })
	for i := 1; i < len(grants); i++ {
		if gap := grants[i].SendAt.Sub(grants[i-1].SendAt); gap < interval {
			t.Errorf("send times %d and %d are %s apart; the pace is %s", i-1, i, gap, interval)
		}
	}
	// The reservations raced ahead of their send times: most had to wait, and none
	// longer than its place in the queue.
	waited := 0
	for i, g := range grants {
		if g.Wait > time.Duration(i+1)*interval {
			t.Errorf("reservation %d waits %s, more than its place in the queue", i, g.Wait)
		}
		if g.Wait > 0 {
			waited++
		}
	}
	if waited < len(grants)/2 {
		t.Errorf("only %d of %d reservations were told to wait", waited, len(grants))
	}
	if u, err := stores[1].Usage(ctx, day); err != nil || u.Requests != len(grants) {
		t.Fatalf("usage %+v, %v; want %d requests", u, err, len(grants))
	}
}

// A refused reservation takes no send time; an unpaced one neither waits nor moves
// the pace; a refund gives the slot (and its backfill share) back.
func TestLedgerRefusalsAndRefundsLeaveThePace(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	next := func() time.Time {
		t.Helper()
		var at time.Time
		if err := s.pool.QueryRow(ctx, "SELECT next_send_at FROM api_pace").Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	r := Reservation{Day: day, Limit: 2, Backfill: true, BackfillLimit: 1, Interval: time.Hour}
	g, err := s.Reserve(ctx, r)
	if err != nil || g.Wait != 0 || g.Requests != 1 || g.BackfillRequests != 1 {
		t.Fatalf("first reservation: %+v, %v; want no wait", g, err)
	}
	paced := next()
	// Refused by the backfill share: no send time taken.
	if _, err := s.Reserve(ctx, r); !errors.Is(err, ErrLimitReached) {
		t.Fatalf("second backfill reservation: %v", err)
	}
	if !next().Equal(paced) {
		t.Fatal("a refused reservation moved the pace")
	}
	// Unpaced: at once, the pace untouched.
	g, err = s.Reserve(ctx, Reservation{Day: day, Limit: 2})
	if err != nil || g.Wait != 0 || !next().Equal(paced) {
		t.Fatalf("unpaced reservation: %+v, %v; pace moved: %v", g, err, !next().Equal(paced))
	}
	// Paced after a reservation an hour apart: it waits most of the hour.
	if _, err := s.Refund(ctx, Reservation{Day: day}); err != nil {
		t.Fatal(err)
	}
	g, err = s.Reserve(ctx, Reservation{Day: day, Limit: 2, Interval: time.Hour})
	if err != nil || g.Wait < 59*time.Minute || g.Wait > time.Hour {
		t.Fatalf("paced reservation: %+v, %v; want to wait about an hour", g, err)
	}
	// Refunds: the backfill request's slot comes back to both counts.
	u, err := s.Refund(ctx, r)
	if err != nil || u.Requests != 1 || u.BackfillRequests != 0 {
		t.Fatalf("refund: %+v, %v", u, err)
	}
	if _, err := s.Reserve(ctx, r); err != nil {
		t.Fatalf("the backfill share was not given back: %v", err)
	}
	if _, err := s.Refund(ctx, Reservation{Day: day.AddDate(0, 0, 1)}); err == nil {
		t.Fatal("a refund of a day with nothing counted succeeded")
	}
}
