package main

import (
	"context"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/store"
)

// migrated is a database with gongsync's tables in schema gong, migrated once per
// test binary; tests that are not about migrating get a copy of their own
// (pgtest.Template). Tests of a first start, a kill or the migrate command keep an
// empty pgtest.NewDatabase.
var migrated = pgtest.NewTemplate(func(ctx context.Context, url string) error {
	st, err := store.Open(ctx, store.Options{DatabaseURL: url, Schema: "gong"})
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Migrate(ctx)
})
