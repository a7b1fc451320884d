package store

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// A row type says which column each of its fields fills with a struct tag, and that
// tag is the only place the column's name is written in Go: the column list of every
// INSERT and COPY, and the values in the same order, are derived from it when the
// package loads (as pkgsite's StructScanner derives scan targets from struct fields),
// so a column can never be matched to the wrong field by position.
//
//	Title  *string `db:"title"`
//	Fields []byte  `db:"fields,json"`     // a JSON document: empty means SQL NULL
//	Name   string  `db:"name,key"`        // part of the row's key within its call
//
// Fields without a db tag (a call's child sets) are not columns.

// column is one tagged field.
type column struct {
	name  string
	field int  // index of the field in the struct
	json  bool // empty is NULL
	key   bool // part of the row's key among its siblings
}

// rowShape is the column layout of the row type T.
type rowShape[T any] struct {
	columns []column
	names   []string // column names, in field order
	hasKey  bool
}

// shapeOf reads T's db tags. A malformed tag is a programming error, found by the
// first test that loads the package.
func shapeOf[T any]() rowShape[T] {
	t := reflect.TypeFor[T]()
	var s rowShape[T]
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("db")
		if !ok || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		c := column{name: name, field: i}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "":
			case "json":
				if t.Field(i).Type.Kind() != reflect.Slice || t.Field(i).Type.Elem().Kind() != reflect.Uint8 {
					panic(fmt.Sprintf("store: %s.%s: a json column must be []byte", t.Name(), t.Field(i).Name))
				}
				c.json = true
			case "key":
				c.key, s.hasKey = true, true
			default:
				panic(fmt.Sprintf("store: %s.%s: unknown db tag option %q", t.Name(), t.Field(i).Name, o))
			}
		}
		if name == "" {
			panic(fmt.Sprintf("store: %s.%s: db tag without a column name", t.Name(), t.Field(i).Name))
		}
		s.columns = append(s.columns, c)
		s.names = append(s.names, name)
	}
	return s
}

// appendValues appends one value per column of r, in the order of names. Values are
// pointers to r's fields (no copies; pgx reads through them, and a nil *string is
// NULL), except JSON documents, where an empty one must become NULL.
func (s rowShape[T]) appendValues(dst []any, r *T) []any {
	v := reflect.ValueOf(r).Elem()
	for _, c := range s.columns {
		f := v.Field(c.field)
		if c.json {
			if f.Len() == 0 {
				dst = append(dst, nil)
			} else {
				dst = append(dst, f.Bytes())
			}
			continue
		}
		dst = append(dst, f.Addr().Interface())
	}
	return dst
}

// key joins the key columns of r: rows of one parent with the same key are one row.
// NUL cannot occur in stored text, so it separates the parts safely.
func (s rowShape[T]) key(r *T) string {
	v := reflect.ValueOf(r).Elem()
	var b strings.Builder
	for _, c := range s.columns {
		if !c.key {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(0)
		}
		switch f := v.Field(c.field); f.Kind() {
		case reflect.String:
			b.WriteString(f.String())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			b.WriteString(strconv.FormatInt(f.Int(), 10))
		default:
			fmt.Fprint(&b, f.Interface())
		}
	}
	return b.String()
}
