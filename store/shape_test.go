package store

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// bookkeeping are the columns the store fills itself, never from a row type.
var bookkeeping = []string{"content_hash", "first_seen_at", "updated_at", "last_seen_at", "deleted_at",
	"transcript_status", "transcript_attempts", "transcript_next_attempt_at", "transcript_fetched_at", "transcript_first_seen_at"}

// Every column a row type derives exists in its table with a type that holds the
// field's values, and every column of the table is derived or is bookkeeping: a
// renamed column or a forgotten tag fails here, not in production.
func TestRowShapesMatchTheTables(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	type table struct {
		name    string
		derived []string
		goType  func(col string) reflect.Type
	}
	var tables []table
	add := func(name string, names []string, types map[string]reflect.Type) {
		tables = append(tables, table{name, names, func(c string) reflect.Type { return types[c] }})
	}
	add(callEntity.table, callEntity.shape.names, fieldTypes[Call]())
	add(userEntity.table, userEntity.shape.names, fieldTypes[User]())
	add(workspaceEntity.table, workspaceEntity.shape.names, fieldTypes[Workspace]())
	add(trackerEntity.table, trackerEntity.shape.names, fieldTypes[Tracker]())
	for _, ct := range callChildren {
		add(ct.tableName(), ct.columnNames(), childFieldTypes(ct))
	}
	for _, ct := range userChildren {
		add(ct.tableName(), ct.columnNames(), childTypes(ct))
	}
	for _, ct := range trackerChildren {
		add(ct.tableName(), ct.columnNames(), childTypes(ct))
	}
	add(sentenceRows.table, sentenceRows.columnNames(), fieldTypes[Sentence]())
	add(scorecardEntity.table, scorecardEntity.shape.names, fieldTypes[Scorecard]())
	add(answeredScorecardEntity.table, answeredScorecardEntity.shape.names, fieldTypes[AnsweredScorecard]())
	for _, ct := range scorecardEntity.children {
		add(ct.tableName(), ct.columnNames(), childTypes(ct))
	}
	for _, ct := range answeredScorecardEntity.children {
		add(ct.tableName(), ct.columnNames(), childTypes(ct))
	}
	addStatsTables(add)

	for _, tb := range tables {
		rows, err := s.pool.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		actual := map[string]string{}
		var col, typ string
		if _, err := pgx.ForEachRow(rows, []any{&col, &typ}, func() error { actual[col] = typ; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(actual) == 0 {
			t.Errorf("table %s does not exist", tb.name)
			continue
		}
		for _, c := range tb.derived {
			dbType, ok := actual[c]
			if !ok {
				t.Errorf("%s: the row type writes column %q, which the table does not have", tb.name, c)
				continue
			}
			if gt := tb.goType(c); gt != nil && !holds(dbType, gt) {
				t.Errorf("%s.%s is %s; the field is %s", tb.name, c, dbType, gt)
			}
		}
		for c := range actual {
			if !slices.Contains(tb.derived, c) && !slices.Contains(bookkeeping, c) {
				t.Errorf("%s.%s is neither written from its row type nor bookkeeping", tb.name, c)
			}
		}
	}
}

// holds says whether a column of Postgres type dbType stores values of Go type gt.
func holds(dbType string, gt reflect.Type) bool {
	for gt.Kind() == reflect.Pointer {
		gt = gt.Elem()
	}
	want := map[string][]string{
		"text": {"string"}, "bigint": {"int64"}, "integer": {"int32"}, "boolean": {"bool"},
		"double precision": {"float64"}, "timestamp with time zone": {"Time"}, "date": {"Time"}, "jsonb": {"[]uint8"},
		"ARRAY": {"[]string", "[]float64"}, "numeric": {"Decimal"},
	}[dbType]
	name := gt.Name()
	if gt.Kind() == reflect.Slice {
		name = "[]" + gt.Elem().Kind().String()
	}
	return slices.Contains(want, name)
}

func fieldTypes[T any]() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	t := reflect.TypeFor[T]()
	for _, c := range shapeOf[T]().columns {
		out[c.name] = t.Field(c.field).Type
	}
	return out
}

// childFieldTypes reads a child table's column → field type from its childRows.
func childFieldTypes(ct childTable[Call]) map[string]reflect.Type { return childTypes(ct) }

// childTypes reads the column → field type of a child table of any parent.
func childTypes[P any](ct childTable[P]) map[string]reflect.Type {
	v := reflect.ValueOf(ct).Elem()
	shape := v.FieldByName("shape")
	out := map[string]reflect.Type{ct.columnNames()[0]: reflect.TypeFor[string]()}
	cols := shape.FieldByName("columns")
	elem := v.FieldByName("of").Type().Out(0).Elem()
	for i := range cols.Len() {
		c := cols.Index(i)
		out[c.FieldByName("name").String()] = elem.Field(int(c.FieldByName("field").Int())).Type
	}
	return out
}

// A call whose every field, and every field of one child of each kind, holds a value
// no other field holds comes back from the tables field for field. Each column is read
// back on its own, by the name its field's tag gives, so the write path (the derived
// column and value lists) is checked against the tags and not against itself: no two
// columns can be crossed, whatever their types.
func TestEveryFieldRoundTripsThroughItsOwnColumn(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	n := 0
	var call Call
	fillDistinct(reflect.ValueOf(&call).Elem(), &n)
	call.Raw = []byte(`{"id": "x"}`) // as jsonb prints it
	if err := s.Transact(ctx, func(tx *Tx) error { _, err := tx.UpsertCalls(ctx, []Call{call}); return err }); err != nil {
		t.Fatal(err)
	}
	checkColumns(t, s, "calls", "id", call.ID, reflect.ValueOf(call))
	checkChildren(t, s, callChildren, call.ID, reflect.ValueOf(call))

	// Users and trackers, with their child rows, the same way.
	var user User
	var tracker Tracker
	fillDistinct(reflect.ValueOf(&user).Elem(), &n)
	fillDistinct(reflect.ValueOf(&tracker).Elem(), &n)
	user.Raw, tracker.Raw = []byte(`{"id": "u"}`), []byte(`{"id": "t"}`)
	user.Settings, user.SpokenLanguages, tracker.LanguageKeywords = []byte(`"js"`), []byte(`"jl"`), []byte(`"jk"`)
	if err := s.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.UpsertUsers(ctx, []User{user}); err != nil {
			return err
		}
		_, err := tx.UpsertTrackers(ctx, []Tracker{tracker})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	checkColumns(t, s, "users", "id", user.ID, reflect.ValueOf(user))
	checkChildren(t, s, userChildren, user.ID, reflect.ValueOf(user))
	checkColumns(t, s, "trackers", "id", tracker.ID, reflect.ValueOf(tracker))
	checkChildren(t, s, trackerChildren, tracker.ID, reflect.ValueOf(tracker))
}

// checkChildren checks the first element of every child set of parent (a struct) in
// the table of its childTable, by the parent's id.
func checkChildren[P any](t *testing.T, s *Store, children []childTable[P], id string, parent reflect.Value) {
	t.Helper()
	tables := map[reflect.Type]childTable[P]{}
	for _, ct := range children {
		tables[reflect.ValueOf(ct).Elem().FieldByName("of").Type().Out(0)] = ct
	}
	for i := range parent.NumField() {
		f := parent.Field(i)
		if _, tagged := parent.Type().Field(i).Tag.Lookup("db"); tagged || f.Kind() != reflect.Slice {
			continue
		}
		ct, ok := tables[f.Type()]
		if !ok {
			t.Errorf("%s.%s is a child set that no child table writes", parent.Type().Name(), parent.Type().Field(i).Name)
			continue
		}
		checkColumns(t, s, ct.tableName(), ct.columnNames()[0], id, f.Index(0))
	}
}

// checkColumns reads each db-tagged field of want from its own column of the row of
// table whose keyCol is key, and fails on the first that differs.
func checkColumns(t *testing.T, s *Store, table, keyCol, key string, want reflect.Value) {
	t.Helper()
	for i := range want.NumField() {
		tag, ok := want.Type().Field(i).Tag.Lookup("db")
		if !ok {
			continue
		}
		col, _, _ := strings.Cut(tag, ",")
		got := reflect.New(want.Field(i).Type())
		q := "SELECT " + col + " FROM " + table + " WHERE " + keyCol + " = $1"
		if err := s.pool.QueryRow(context.Background(), q, key).Scan(got.Interface()); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if d := compare(want.Field(i), got.Elem(), table+"."+col); d != "" {
			t.Error(d)
		}
	}
}

// fillDistinct sets every exported field of v (and one element of every slice of
// structs) to a value no other field gets.
func fillDistinct(v reflect.Value, n *int) {
	for i := range v.NumField() {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct {
			e := reflect.New(f.Type().Elem()).Elem()
			fillDistinct(e, n)
			f.Set(reflect.Append(f, e))
			continue
		}
		*n++
		f.Set(distinct(f.Type(), *n))
	}
}

func distinct(t reflect.Type, n int) reflect.Value {
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		p.Elem().Set(distinct(t.Elem(), n))
		return p
	}
	v := reflect.New(t).Elem()
	switch {
	case t == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)))
	case t == reflect.TypeFor[Decimal]():
		v.SetString(fmt.Sprintf("%d.5", n)) // a fraction: a numeric column keeps it
	case t.Kind() == reflect.String:
		v.SetString(fmt.Sprintf("v%d", n))
	case t.Kind() == reflect.Int32 || t.Kind() == reflect.Int64:
		v.SetInt(int64(1000 + n))
	case t.Kind() == reflect.Float64:
		v.SetFloat(float64(n) + 0.5)
	case t.Kind() == reflect.Bool:
		v.SetBool(n%2 == 0)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		v.SetBytes([]byte(fmt.Sprintf(`"j%d"`, n))) // a JSON string: jsonb prints it back as is
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Float64:
		v.Set(reflect.ValueOf([]float64{float64(n) + 0.25, float64(n) + 0.75}))
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		v.Set(reflect.ValueOf([]string{fmt.Sprintf("a%d", n), fmt.Sprintf("b%d", n)}))
	default:
		panic("fillDistinct: no distinct value for " + t.String())
	}
	return v
}

// compare reports the first field where a and b differ, times compared as instants.
func compare(a, b reflect.Value, path string) string {
	if a.Type() == reflect.TypeFor[time.Time]() {
		if !a.Interface().(time.Time).Equal(b.Interface().(time.Time)) {
			return fmt.Sprintf("%s: wrote %v, read %v", path, a, b)
		}
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: wrote %v, read %v", path, a, b)
		}
		if a.IsNil() {
			return ""
		}
		return compare(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		for i := range a.NumField() {
			if d := compare(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: wrote %d elements, read %d", path, a.Len(), b.Len())
		}
		for i := range a.Len() {
			if d := compare(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: wrote %v, read %v", path, a.Interface(), b.Interface())
	}
	return ""
}
