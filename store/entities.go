package store

import (
	"context"
	"fmt"
	"reflect"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// The entity tables and the child tables of calls, each described once: its row
// type's db tags give the columns (shape.go), so adding a Gong field as a column
// touches the migration, the row type and the line in sync that maps it.

var (
	// A rewritten call derives its transcript's turns and chunks again: they carry its
	// parties' names, its title, its CRM ids and whether it is private.
	callEntity = newEntity("call", "calls", callChildren...).onRewrite(transcriptFollowsCall).
			deriving((*Tx).deriveTurnsAndChunks)
	userEntity = newEntity("user", "users", userChildren...)
	// Workspaces and tracker definitions are full refreshes of small sets.
	workspaceEntity = newEntity[Workspace]("workspace", "workspaces")
	trackerEntity   = newEntity("tracker", "trackers", trackerChildren...)
)

// transcriptFollowsCall is what a rewrite of a call does to its transcript's
// bookkeeping: a call re-read with another transcript_basis (its recording was
// re-processed, its speakers changed) is due for its transcript again, asked for as if
// never asked. A call stored before the basis was kept (null) gains one without a
// fetch.
const transcriptFollowsCall = `transcript_status = CASE WHEN ` + basisChanged + ` THEN 'pending' ELSE t.transcript_status END,
	transcript_attempts = CASE WHEN ` + basisChanged + ` THEN 0 ELSE t.transcript_attempts END,
	transcript_next_attempt_at = CASE WHEN ` + basisChanged + ` THEN NULL ELSE t.transcript_next_attempt_at END, `

const basisChanged = `(t.transcript_basis IS NOT NULL AND EXCLUDED.transcript_basis IS NOT NULL AND t.transcript_basis <> EXCLUDED.transcript_basis)`

// callChildren are the child tables of calls, rewritten as a set whenever a call is
// new or its content changed.
var callChildren = []childTable[Call]{
	callChild("call_parties", func(c *Call) []CallParty { return c.Parties }),
	callChild("call_trackers", func(c *Call) []CallTracker { return c.Trackers }),
	callChild("call_tracker_occurrences", func(c *Call) []CallTrackerOccurrence { return c.TrackerOccurrences }),
	callChild("call_topics", func(c *Call) []CallTopic { return c.Topics }),
	callChild("call_speakers", func(c *Call) []CallSpeaker { return c.Speakers }),
	callChild("call_interaction_stats", func(c *Call) []CallInteractionStat { return c.InteractionStats }),
	callChild("call_video_stats", func(c *Call) []CallVideoStat { return c.VideoStats }),
	callChild("call_crm_objects", func(c *Call) []CallCRMObject { return c.CRMObjects }),
	callChild("call_crm_fields", func(c *Call) []CallCRMField { return c.CRMFields }),
	callChild("call_comments", func(c *Call) []CallComment { return c.Comments }),
	callChild("call_outline_sections", func(c *Call) []CallOutlineSection { return c.OutlineSections }),
	callChild("call_outline_items", func(c *Call) []CallOutlineItem { return c.OutlineItems }),
	callChild("call_highlights", func(c *Call) []CallHighlight { return c.HighlightGroups }),
	callChild("call_highlight_items", func(c *Call) []CallHighlightItem { return c.HighlightItems }),
	callChild("call_key_points", func(c *Call) []CallKeyPoint { return c.KeyPointRows }),
	callChild("call_structure", func(c *Call) []CallStructurePart { return c.StructureParts }),
}

// userChildren are the child tables of users: the user's lists one row per element,
// rewritten as a set whenever a user is new or changed.
var userChildren = []childTable[User]{
	childOf("user_email_aliases", "user_id", userKey, func(u *User) []UserEmailAlias { return u.EmailAliasRows }),
	childOf("user_spoken_languages", "user_id", userKey, func(u *User) []UserSpokenLanguage { return u.LanguageRows }),
	childOf("user_meeting_urls", "user_id", userKey, func(u *User) []UserMeetingURL { return u.MeetingURLs }),
}

// trackerChildren are the child tables of trackers: a definition's languages and
// keywords, rewritten as a set whenever a definition is new or changed.
var trackerChildren = []childTable[Tracker]{
	childOf("tracker_languages", "tracker_id", trackerKey, func(t *Tracker) []TrackerLanguage { return t.Languages }),
	childOf("tracker_keywords", "tracker_id", trackerKey, func(t *Tracker) []TrackerKeyword { return t.Keywords }),
}

func userKey(u *User) *string       { return &u.ID }
func trackerKey(t *Tracker) *string { return &t.ID }

// sentenceRows are the rows of transcript_sentences: the children of a transcript.
var sentenceRows = &childRows[Transcript, Sentence]{
	table: "transcript_sentences", parent: "call_id",
	parentKey: func(t *Transcript) *string { return &t.CallID },
	shape:     shapeOf[Sentence](),
	of:        func(t *Transcript) []Sentence { return t.Sentences },
}

func callChild[C any](table string, of func(*Call) []C) childTable[Call] {
	return childOf(table, "call_id", func(c *Call) *string { return &c.ID }, of)
}

// childOf describes the child table whose rows are the Cs of each P, keyed by the
// parent's id in the column parent.
func childOf[P, C any](table, parent string, parentKey func(*P) *string, of func(*P) []C) childTable[P] {
	return &childRows[P, C]{table: table, parent: parent, parentKey: parentKey, shape: shapeOf[C](), of: of}
}

// UpsertUsers writes users (see UpsertResult for what happens to each); a new or
// changed user's email aliases, spoken languages and meeting URLs replace the stored
// ones, as a call's children do.
func (tx *Tx) UpsertUsers(ctx context.Context, users []User) (UpsertResult, error) {
	return upsert(ctx, tx, userEntity, users)
}

// UpsertWorkspaces writes workspaces (see UpsertResult for what happens to each).
func (tx *Tx) UpsertWorkspaces(ctx context.Context, ws []Workspace) (UpsertResult, error) {
	return upsert(ctx, tx, workspaceEntity, ws)
}

// UpsertTrackers writes tracker definitions (see UpsertResult for what happens to
// each); a new or changed definition's languages and keywords replace the stored ones.
func (tx *Tx) UpsertTrackers(ctx context.Context, ts []Tracker) (UpsertResult, error) {
	return upsert(ctx, tx, trackerEntity, ts)
}

// UpsertCalls writes calls. A call that is new or whose raw document changed gets its
// child rows (parties, trackers and their occurrences, topics, speakers, interaction
// and video stats, CRM objects and their fields, comments, the outline, highlights,
// key points and agenda) replaced by the ones given; an unchanged call keeps its stored children and only last_seen_at moves. Child rows with the same key
// within a call collapse to the last one. A record Postgres refuses fails the whole
// call with an error naming the call, and the caller's transaction with it.
func (tx *Tx) UpsertCalls(ctx context.Context, calls []Call) (UpsertResult, error) {
	return upsert(ctx, tx, callEntity, calls)
}

// entity describes one entity table to the shared upsert path: a row type with an
// "id" and a "raw" column, and the child tables written beside it.
type entity[T any] struct {
	kind     string // what a record is called in errors: "call", "user", …
	table    string
	shape    rowShape[T]
	idField  int // struct field of the id column
	rawField int // struct field of the raw column
	// versionField is the struct field of the mapping_version column, -1 when the
	// table has none: its rows are then never re-derived from raw.
	versionField int
	children     []childTable[T]
	// rewriteSet are SET clauses a rewrite adds to the new columns' values (each ending
	// in ", "): they see the stored row as t and the new one as EXCLUDED.
	rewriteSet string
	// derive, when set, writes what other tables derive from the records whose rows
	// were rewritten (or remapped), by id, after their children.
	derive func(tx *Tx, ctx context.Context, ids []string) error
}

// deriving sets the entity's derive step.
func (e *entity[T]) deriving(derive func(tx *Tx, ctx context.Context, ids []string) error) *entity[T] {
	e.derive = derive
	return e
}

// onRewrite adds SET clauses to every rewrite of the entity's rows.
func (e *entity[T]) onRewrite(set string) *entity[T] {
	e.rewriteSet = set
	return e
}

func newEntity[T any](kind, table string, children ...childTable[T]) *entity[T] {
	e := &entity[T]{kind: kind, table: table, shape: shapeOf[T](), idField: -1, rawField: -1, versionField: -1, children: children}
	for _, c := range e.shape.columns {
		switch c.name {
		case "id":
			e.idField = c.field
		case "raw":
			e.rawField = c.field
		case "mapping_version":
			e.versionField = c.field
		}
	}
	if e.idField < 0 || e.rawField < 0 {
		panic("store: entity " + table + " needs an id and a raw column")
	}
	return e
}

func (e *entity[T]) id(r *T) string  { return reflect.ValueOf(r).Elem().Field(e.idField).String() }
func (e *entity[T]) raw(r *T) []byte { return reflect.ValueOf(r).Elem().Field(e.rawField).Bytes() }

func (e *entity[T]) version(r *T) int32 {
	if e.versionField < 0 {
		return 0
	}
	return int32(reflect.ValueOf(r).Elem().Field(e.versionField).Int())
}

// childTable is one child table of records of type P, keyed by the parent's id.
type childTable[P any] interface {
	tableName() string
	columnNames() []string           // the parent's key column first
	count(p *P) int                  // how many rows p has, duplicates included
	fill(p *P, rows [][]any) [][]any // appends p's rows, deduplicated by key
}

// childRows is a childTable whose rows are a slice of C in each parent.
type childRows[P, C any] struct {
	table     string
	parent    string // the column holding the parent's id: "call_id"
	parentKey func(*P) *string
	shape     rowShape[C]
	of        func(*P) []C
}

func (c *childRows[P, C]) tableName() string { return c.table }

func (c *childRows[P, C]) columnNames() []string {
	return append([]string{c.parent}, c.shape.names...)
}

func (c *childRows[P, C]) count(p *P) int { return len(c.of(p)) }

func (c *childRows[P, C]) fill(p *P, rows [][]any) [][]any {
	kids := c.of(p)
	var seen map[string]int
	if c.shape.hasKey && len(kids) > 1 {
		seen = make(map[string]int, len(kids))
	}
	parent := c.parentKey(p)
	for i := range kids {
		row := c.shape.appendValues(append(make([]any, 0, len(c.shape.columns)+1), parent), &kids[i])
		if seen != nil {
			k := c.shape.key(&kids[i])
			if j, dup := seen[k]; dup {
				rows[j] = row // the last occurrence wins, in the first one's place
				continue
			}
			seen[k] = len(rows)
		}
		rows = append(rows, row)
	}
	return rows
}

// writeChildren COPies the child sets of parents straight into their tables, after
// deleting the stored ones when replace is set: the sets are replaced whole, so there
// is nothing to merge and no need for a stage. It returns the rows written.
func writeChildren[P any](ctx context.Context, q pgx.Tx, kind string, tables []childTable[P], parents []*P, id func(*P) string, replace bool) (int, error) {
	if len(tables) == 0 {
		return 0, nil
	}
	if replace {
		ids := make([]string, len(parents))
		for i, p := range parents {
			ids[i] = id(p)
		}
		b := byKeys(func(b *pgx.Batch) {
			for _, ct := range tables {
				b.Queue("DELETE FROM "+ct.tableName()+" WHERE "+ct.columnNames()[0]+" = ANY($1)", ids)
			}
		})
		if err := q.SendBatch(ctx, b).Close(); err != nil {
			return 0, fmt.Errorf("delete child rows: %w", err)
		}
	}
	written := 0
	for _, ct := range tables {
		n := 0
		for _, p := range parents {
			n += ct.count(p)
		}
		if n == 0 {
			continue
		}
		src := &groupedRows{groups: len(parents), fill: func(g int, rows [][]any) [][]any { return ct.fill(parents[g], rows) }}
		err := copyRows(ctx, q, ct.tableName(), ct.columnNames(), src,
			func(i int) string { return kind + " " + strconv.Quote(id(parents[src.group(i)])) })
		if err != nil {
			return written, err
		}
		written += src.ends[len(src.ends)-1]
	}
	return written, nil
}

// StoredRaw is a record's raw document as stored, for deriving its rows again.
type StoredRaw struct {
	ID  string
	Raw []byte
}

// MappedKind names an entity table whose rows carry the version of the mapping that
// derived them (mapping_version), so that an older mapping's rows can be derived again.
type MappedKind string

// The entity tables with a mapping version.
const (
	MappedCalls    MappedKind = "calls"
	MappedUsers    MappedKind = "users"
	MappedTrackers MappedKind = "trackers"
)

// MappedBefore returns up to limit records of the table kind names, in id order after
// afterID, whose rows a mapping older than version derived, with their raw documents.
func (s *Store) MappedBefore(ctx context.Context, kind MappedKind, version int32, afterID string, limit int) ([]StoredRaw, error) {
	switch kind {
	case MappedCalls, MappedUsers, MappedTrackers:
	default:
		return nil, fmt.Errorf("list %s to remap: not a table with a mapping version", kind)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, raw FROM `+string(kind)+` WHERE mapping_version < $1 AND id > $2 ORDER BY id LIMIT $3`,
		version, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list %s to remap: %w", kind, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[StoredRaw])
	if err != nil {
		return nil, fmt.Errorf("list %s to remap: %w", kind, err)
	}
	return out, nil
}

// RemapCalls rewrites the columns and child rows of stored calls from rows derived
// again from their own raw documents, leaving raw and the bookkeeping times as they
// were (see remap). It returns the ids rewritten.
func (tx *Tx) RemapCalls(ctx context.Context, calls []Call) ([]string, error) {
	return remap(ctx, tx, callEntity, calls)
}

// RemapUsers is RemapCalls for users.
func (tx *Tx) RemapUsers(ctx context.Context, users []User) ([]string, error) {
	return remap(ctx, tx, userEntity, users)
}

// RemapTrackers is RemapCalls for tracker definitions.
func (tx *Tx) RemapTrackers(ctx context.Context, ts []Tracker) ([]string, error) {
	return remap(ctx, tx, trackerEntity, ts)
}
