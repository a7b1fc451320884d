package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a throwaway Postgres server on a unix socket in a temporary directory.
// Tests that must restart or kill Postgres mid-run start one of their own with
// NewCluster; everything else shares the one AdminURL starts.
type Cluster struct {
	dir     string // owns everything; removed by Stop
	data    string
	sock    string
	bin     string
	cred    *syscall.Credential // the postgres user when we run as root
	logFile string
}

// NewCluster starts a cluster for one test and stops it when the test ends.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := StartCluster()
	if err != nil {
		failOrSkip(t, err)
	}
	t.Cleanup(c.Stop)
	return c
}

// StartCluster initialises and starts a new cluster. fsync and full-page writes are off:
// the data is thrown away, and tests want speed. synchronous_commit stays on, so a
// commit survives a killed server (the fault tests restart it mid-run), as it would in
// production.
func StartCluster() (*Cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gongsync-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, data: filepath.Join(dir, "data"), sock: filepath.Join(dir, "sock"), bin: bin, logFile: filepath.Join(dir, "server.log")}
	if err := os.Mkdir(c.sock, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// Postgres refuses to run as root: hand the directory to the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, errorf("running as root and there is no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		for _, p := range []string{dir, c.sock} {
			if err := os.Chown(p, uid, gid); err != nil {
				os.RemoveAll(dir)
				return nil, err
			}
		}
	}
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, errorf("initdb: %v\n%s", err, out)
	}
	if err := c.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// URL returns a connection URL for database db over the cluster's socket.
func (c *Cluster) URL(db string) string {
	return "postgres://postgres@/" + db + "?host=" + url.QueryEscape(c.sock) + "&sslmode=disable"
}

// Start starts the server (again) and waits until it accepts connections.
func (c *Cluster) Start() error {
	opts := "-c listen_addresses='' -k " + c.sock +
		" -c fsync=off -c full_page_writes=off" +
		" -c max_connections=300 -c shared_buffers=128MB -c max_wal_size=2GB"
	if out, err := c.run("pg_ctl", "-D", c.data, "-l", c.logFile, "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(c.logFile)
		return errorf("pg_ctl start: %v\n%s\n%s", err, out, tail(log, 2000))
	}
	// Wait until a connection works: pg_ctl -w returns when the postmaster is up.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if ctx.Err() != nil {
			return errorf("cluster did not accept connections: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill stops the server the hard way (immediate shutdown, no checkpoint), as a crash would.
func (c *Cluster) Kill() error {
	out, err := c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop")
	if err != nil {
		return errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Restart kills the server and starts it again on the same socket.
func (c *Cluster) Restart() error {
	if err := c.Kill(); err != nil {
		return err
	}
	return c.Start()
}

// Stop shuts the server down and removes its files.
func (c *Cluster) Stop() {
	_, _ = c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.Bytes(), err
}

// findBinaries returns the directory holding initdb and pg_ctl: PATH first (so a
// user's choice wins), then the newest /usr/lib/postgresql/N/bin.
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			// Resolve symlinks so that initdb finds its sibling postgres binary.
			if r, err := filepath.EvalSymlinks(p); err == nil {
				p = r
			}
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("%s", installHint)
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
