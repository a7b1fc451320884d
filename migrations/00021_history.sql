-- History of the records gongsync refreshes in full (users, workspaces, trackers,
-- scorecards and their questions): each table keeps only a record's current content,
-- so "who was this rep's manager when the call happened" needs the versions it
-- overwrote. <table>_history holds them: one row per version, valid from valid_from
-- until valid_to (null for the current one), with the content hash and the record as
-- it was.
--
-- One mechanism, in the database: a trigger on the table writes the versions, so
-- every path that writes the table (the sync, remap, actions, an erasure, a fix by
-- hand) keeps history alike, in the same transaction, on the transaction's clock
-- (now(), as updated_at and deleted_at). A table is put under history by one line:
--
--     SELECT gongsync_keep_history('<table>');
--
-- which creates <table>_history with its comments, fills it with the rows the table
-- holds, and attaches the trigger.
--
-- Two kinds of table:
--   - a Gong record (raw, content_hash and deleted_at): a version opens when the record
--     is inserted, changes (content_hash) or is restored (deleted_at cleared), and
--     closes when it changes, is deleted (deleted_at set) or its row is removed (an
--     erasure). A record read again unchanged (only last_seen_at moves) makes none.
--   - rows without them, rewritten as a set with their parent (scorecard_questions):
--     the content is the row itself (to_jsonb), hashed with SHA-256. A row deleted and
--     written again unchanged in the same transaction keeps its open version.
-- Two writes of one record in one transaction make one version, the last.

-- +goose Up

-- +goose StatementBegin
CREATE FUNCTION gongsync_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- TG_ARGV: the kind ('record' or 'rows'), then the key columns. The statement's
    -- rows are in the transition tables gongsync_old and gongsync_new: a few set
    -- statements per statement, not per row (see docs/ARCHITECTURE.md, History).
    kind    text := TG_ARGV[0];
    keys    text[] := TG_ARGV[1:];
    hist    text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME || '_history');
    cols    text; -- k1, k2
    xcols   text; -- x.k1, x.k2
    ncols   text; -- n.k1, n.k2
    onkeys  text; -- h.k1 = x.k1 AND …
    onnew   text; -- h.k1 = n.k1 AND …
    cmp     text; -- each new row beside its open version
    closing text; -- the rows whose open version closes (their keys)
    opening text; -- the rows that open a version (keys, gs_hash, gs_raw)
    any_    boolean;
BEGIN
    SELECT string_agg(format('%I', k), ', '), string_agg(format('x.%I', k), ', '), string_agg(format('n.%I', k), ', '),
           string_agg(format('h.%1$I = x.%1$I', k), ' AND '), string_agg(format('h.%1$I = n.%1$I', k), ' AND ')
        INTO cols, xcols, ncols, onkeys, onnew FROM unnest(keys) AS k;
    IF TG_OP = 'DELETE' THEN
        closing := format('SELECT %s FROM gongsync_old n', ncols); -- the deleted rows, named n as the others
    ELSE
        -- The open version is looked up row by row (LATERAL … LIMIT 1, by the
        -- _current_idx index): joined as a set, a history table filled since it was
        -- last analyzed looks empty to the planner, which compared 5,000 users read
        -- again with their versions by a nested loop over the whole table (5 s).
        cmp := format('SELECT %s, %s AS gs_hash, %s AS gs_raw, %s AS gs_live, h.content_hash AS gs_open
            FROM gongsync_new n LEFT JOIN LATERAL (SELECT h.content_hash FROM %s h WHERE %s AND h.valid_to IS NULL LIMIT 1) h ON true',
            ncols,
            CASE WHEN kind = 'record' THEN 'n.content_hash' ELSE 'sha256(convert_to(to_jsonb(n)::text, ''UTF8''))' END,
            CASE WHEN kind = 'record' THEN 'n.raw' ELSE 'to_jsonb(n)' END,
            CASE WHEN kind = 'record' THEN 'n.deleted_at IS NULL' ELSE 'true' END,
            hist, onnew);
        -- A row whose open version differs from it, or that is no longer live.
        closing := format('SELECT * FROM (%s) c WHERE c.gs_open IS NOT NULL AND (NOT c.gs_live OR c.gs_open <> c.gs_hash)', cmp);
        -- Once those are closed: a live row without an open version.
        opening := format('SELECT * FROM (%s) c WHERE c.gs_live AND c.gs_open IS NULL', cmp);
        -- A record read again unchanged (only last_seen_at moved) makes no version.
        EXECUTE format('SELECT EXISTS (SELECT FROM (%s) c WHERE c.gs_open IS DISTINCT FROM CASE WHEN c.gs_live THEN c.gs_hash END)', cmp)
            INTO any_;
        IF NOT any_ THEN
            RETURN NULL;
        END IF;
    END IF;

    -- Close the open versions. One opened by this same transaction never was anyone's
    -- view of the record: it goes instead.
    EXECUTE format('DELETE FROM %s h USING (%s) x WHERE %s AND h.valid_to IS NULL AND h.valid_from = now()',
        hist, closing, onkeys);
    EXECUTE format('UPDATE %s h SET valid_to = now() FROM (%s) x WHERE %s AND h.valid_to IS NULL',
        hist, closing, onkeys);
    IF opening IS NULL THEN
        RETURN NULL;
    END IF;
    -- A version this transaction closed with the same content opens again: a set of
    -- rows deleted and written again unchanged keeps its versions.
    EXECUTE format('UPDATE %s h SET valid_to = NULL FROM (%s) x
            WHERE %s AND h.valid_to = now() AND h.content_hash = x.gs_hash', hist, opening, onkeys);
    EXECUTE format('INSERT INTO %s (%s, valid_from, content_hash, raw)
            SELECT %s, now(), x.gs_hash, x.gs_raw FROM (%s) x
            ON CONFLICT (%s, valid_from) DO UPDATE SET valid_to = NULL, content_hash = EXCLUDED.content_hash, raw = EXCLUDED.raw',
        hist, cols, xcols, opening, cols);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

COMMENT ON FUNCTION gongsync_history_write() IS 'gongsync bookkeeping: the trigger that writes <table>_history (see gongsync_keep_history).';

-- +goose StatementBegin
CREATE FUNCTION gongsync_keep_history(tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    rel     regclass := tbl::regclass;
    hist    text := tbl || '_history';
    keys    text[];
    keydefs text;
    cols    text;
    args    text;
    record  boolean;
    kind    text;
    c       record;
BEGIN
    SELECT array_agg(a.attname::text ORDER BY k.ord),
           string_agg(format('%I %s NOT NULL', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY k.ord)
        INTO keys, keydefs
        FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = rel AND i.indisprimary;
    IF keys IS NULL THEN
        RAISE EXCEPTION 'keep history of %: the table has no primary key', tbl;
    END IF;
    SELECT count(*) = 4 INTO record FROM pg_attribute
        WHERE attrelid = rel AND attname IN ('raw', 'content_hash', 'first_seen_at', 'deleted_at') AND NOT attisdropped;
    kind := CASE WHEN record THEN 'record' ELSE 'rows' END;
    SELECT string_agg(format('%I', k), ', ') INTO cols FROM unnest(keys) AS k;
    SELECT string_agg(quote_literal(k), ', ') INTO args FROM unnest(keys) AS k;

    EXECUTE format('CREATE TABLE %I (%s, valid_from timestamptz NOT NULL, valid_to timestamptz,
            content_hash bytea NOT NULL, raw jsonb NOT NULL,
            PRIMARY KEY (%s, valid_from), CHECK (valid_to >= valid_from))', hist, keydefs, cols);
    -- At most one current version of a record; also what the trigger finds it by.
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I (%s) WHERE valid_to IS NULL', hist || '_current_idx', hist, cols);
    BEGIN
        IF current_setting('server_version_num')::int >= 140000 THEN
            EXECUTE format('ALTER TABLE %I ALTER COLUMN raw SET COMPRESSION lz4', hist);
        END IF;
    EXCEPTION WHEN feature_not_supported THEN
        RAISE NOTICE 'lz4 is not available: % is compressed with pglz', hist;
    END;

    -- What the table holds now is each record's first version: from when gongsync
    -- first saw it (what came before was overwritten), closed when it was deleted.
    IF record THEN
        EXECUTE format('INSERT INTO %I (%s, valid_from, valid_to, content_hash, raw)
                SELECT %s, first_seen_at, deleted_at, content_hash, raw FROM %I', hist, cols, cols, tbl);
    ELSE
        EXECUTE format('INSERT INTO %I (%s, valid_from, content_hash, raw)
                SELECT %s, now(), sha256(convert_to(to_jsonb(t)::text, ''UTF8'')), to_jsonb(t) FROM %I t',
            hist, cols, cols, tbl);
    END IF;

    -- One trigger per event (a trigger with transition tables has one event), each
    -- once per statement.
    EXECUTE format('CREATE TRIGGER gongsync_history_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS gongsync_new
            FOR EACH STATEMENT EXECUTE FUNCTION gongsync_history_write(%L, %s)', tbl, kind, args);
    EXECUTE format('CREATE TRIGGER gongsync_history_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS gongsync_old NEW TABLE AS gongsync_new
            FOR EACH STATEMENT EXECUTE FUNCTION gongsync_history_write(%L, %s)', tbl, kind, args);
    EXECUTE format('CREATE TRIGGER gongsync_history_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS gongsync_old
            FOR EACH STATEMENT EXECUTE FUNCTION gongsync_history_write(%L, %s)', tbl, kind, args);

    EXECUTE format('COMMENT ON TABLE %I IS %L', hist, format(
        'The versions of each %s row, kept by gongsync: one row per version, valid from valid_from until valid_to (null for the current one). %s '
        'The version at time T: valid_from <= T AND (valid_to IS NULL OR T < valid_to).', tbl, CASE WHEN record
        THEN 'A version opens when the record is first stored, changes or is restored, and closes when it changes, is deleted (deleted_at) or its row removed; a record read again unchanged makes none.'
        ELSE 'A version opens when the row is written with new content and closes when it changes or the row goes; a row rewritten unchanged keeps its version. Its parent''s deletion is in the parent''s history.' END));
    FOR c IN SELECT k AS name, col_description(rel, a.attnum) AS d FROM unnest(keys) AS k
            JOIN pg_attribute a ON a.attrelid = rel AND a.attname = k LOOP
        -- A key of one column joins the table; one of several columns is described as
        -- the table describes it.
        EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', hist, c.name, CASE WHEN cardinality(keys) = 1
            THEN format('The %s row the version is of (its key). Joins %s.%s.', tbl, tbl, c.name)
            ELSE format('Part of the key of the %s row the version is of: %s', tbl, coalesce(c.d, c.name)) END);
    END LOOP;
    EXECUTE format('COMMENT ON COLUMN %I.valid_from IS %L', hist,
        'gongsync bookkeeping: when this version became the record''s content in gongsync (timestamptz, the database''s clock of the transaction that wrote it). '
        || CASE WHEN record THEN 'A version seeded when history began is from the record''s first_seen_at: older changes were overwritten.'
           ELSE 'A version seeded when history began is from then.' END);
    EXECUTE format('COMMENT ON COLUMN %I.valid_to IS %L', hist,
        'gongsync bookkeeping: when this version stopped being the record''s content, because it changed or was deleted (timestamptz); null for the current version.');
    EXECUTE format('COMMENT ON COLUMN %I.content_hash IS %L', hist, CASE WHEN record
        THEN 'gongsync bookkeeping: SHA-256 of raw, as the table''s content_hash held it for this version.'
        ELSE 'gongsync bookkeeping: SHA-256 of raw (its text), to tell a changed row from one written again unchanged.' END);
    EXECUTE format('COMMENT ON COLUMN %I.raw IS %L', hist, CASE WHEN record
        THEN format('The record as Gong sent it while this version was current (JSON): %s.raw of the time.', tbl)
        ELSE format('The row as it was while this version was current (JSON, one key per column of %s).', tbl) END);
END
$$;
-- +goose StatementEnd

COMMENT ON FUNCTION gongsync_keep_history(text) IS 'gongsync bookkeeping: puts a table under history: creates <table>_history, fills it with the current rows and attaches the trigger gongsync_history_write.';

SELECT gongsync_keep_history('users');
SELECT gongsync_keep_history('workspaces');
SELECT gongsync_keep_history('trackers');
SELECT gongsync_keep_history('scorecards');
SELECT gongsync_keep_history('scorecard_questions');
SELECT gongsync_keep_history('flows');
SELECT gongsync_keep_history('permission_profiles');
-- A question's rows carry no times of their own: its first version is from when
-- gongsync first saw its scorecard.
UPDATE scorecard_questions_history h SET valid_from = s.first_seen_at
    FROM scorecards s WHERE s.id = h.scorecard_id;
COMMENT ON COLUMN scorecard_questions_history.valid_from IS 'gongsync bookkeeping: when this version became the question''s content in gongsync (timestamptz, the database''s clock of the transaction that wrote it). A version seeded when history began is from its scorecard''s first_seen_at: older changes were overwritten.';

-- +goose Down
-- Every table put under history, found by its trigger: a table a later line puts under
-- history goes down with the others.
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
            WHERE g.tgname = 'gongsync_history_insert' AND c.relnamespace = current_schema()::regnamespace LOOP
        EXECUTE format('DROP TABLE %I', t || '_history');
        EXECUTE format('DROP TRIGGER gongsync_history_insert ON %I', t);
        EXECUTE format('DROP TRIGGER gongsync_history_update ON %I', t);
        EXECUTE format('DROP TRIGGER gongsync_history_delete ON %I', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION gongsync_keep_history(text);
DROP FUNCTION gongsync_history_write();
