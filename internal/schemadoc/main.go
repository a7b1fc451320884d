// Command schemadoc writes docs/SCHEMA.md, for `make schema-doc`: it migrates a fresh
// database on a throwaway Postgres cluster (the test harness's) and describes the
// schema from its catalog, the comments the migrations wrote included, with a
// Mermaid entity-relationship diagram drawn from the "Joins <table>.<column>" of the
// column comments. Nothing in the file is written by hand, so it cannot drift from
// the migrations; TestSchemaDocIsCurrent regenerates it and compares.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gongsync/gongsync/internal/pgtest"
	"github.com/gongsync/gongsync/store"
)

func main() {
	out := flag.String("out", "docs/SCHEMA.md", "where to write the description")
	check := flag.Bool("check", false, "write nothing; exit 1 when -out differs from what the migrations give")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "schemadoc:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out string, check bool) error {
	cluster, err := pgtest.StartCluster()
	if err != nil {
		return err
	}
	defer cluster.Stop()
	doc, err := migratedDoc(ctx, cluster.URL("postgres"))
	if err != nil {
		return err
	}
	if check {
		old, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, []byte(doc)) {
			return fmt.Errorf("%s differs from the migrations' schema: run make schema-doc", out)
		}
		return nil
	}
	return os.WriteFile(out, []byte(doc), 0o644)
}

// migratedDoc migrates the default schema of the database at url and describes it.
func migratedDoc(ctx context.Context, url string) (string, error) {
	st, err := store.Open(ctx, store.Options{DatabaseURL: url})
	if err != nil {
		return "", err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return "", err
	}
	conn, err := st.Pool().Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Release()
	s, err := readSchema(ctx, conn.Conn())
	if err != nil {
		return "", err
	}
	control, err := store.OpenControl(ctx, store.ControlOptions{Options: store.Options{DatabaseURL: url}})
	if err != nil {
		return "", err
	}
	defer control.Close()
	if err := control.Migrate(ctx); err != nil {
		return "", err
	}
	cconn, err := control.Pool().Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer cconn.Release()
	cs, err := readSchema(ctx, cconn.Conn())
	if err != nil {
		return "", err
	}
	return s.markdown() + cs.controlMarkdown(), nil
}
