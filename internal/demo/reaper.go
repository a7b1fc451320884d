package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// reaperEnv makes the demo's binary the reaper.
const reaperEnv = "GONGSYNC_DEMO_REAPER"

// reaper is the demo's side of the reaper process: a pipe on which the demo names
// what it starts. The reaper stops all of it once the pipe closes, which happens
// when the demo closes it or when the demo dies, however it dies.
type reaper struct {
	cmd  *exec.Cmd
	w    io.WriteCloser
	once sync.Once
	err  error // of close
}

// startReaper starts the demo's binary again as the reaper, in a process group of
// its own so that the terminal's Ctrl-C (meant for the demo, which cleans up through
// it) does not reach it.
func startReaper() (*reaper, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), reaperEnv+"=1")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	w, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the demo's reaper: %w", err)
	}
	return &reaper{cmd: cmd, w: w}, nil
}

// watch tells the reaper about something the demo started: "pid N", "gone N" (it
// exited and was waited for), "docker NAME", or "dir PATH" (a directory to remove,
// after stopping any Postgres server whose data directory is below it).
// The demo cannot go on without its reaper: better to stop than to leak.
func (r *reaper) watch(kind, arg string) error {
	if _, err := fmt.Fprintf(r.w, "%s %s\n", kind, arg); err != nil {
		return fmt.Errorf("the demo's reaper is gone: %w", err)
	}
	return nil
}

// close has the reaper stop everything and waits until it has.
func (r *reaper) close() error {
	r.once.Do(func() {
		r.w.Close()
		if err := r.cmd.Wait(); err != nil {
			r.err = fmt.Errorf("the demo's reaper: %w", err)
		}
	})
	return r.err
}

// reap is the reaper process: it reads what the demo names until the pipe closes,
// then stops it all, newest first.
func reap(in io.Reader, log io.Writer) {
	// The demo's signals are the demo's: the reaper finishes its work whatever
	// happens around it.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	type item struct{ kind, arg string }
	var items []item
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		kind, arg, _ := strings.Cut(sc.Text(), " ")
		if kind == "gone" {
			items = slices.DeleteFunc(items, func(it item) bool { return it.kind == "pid" && it.arg == arg })
			continue
		}
		items = append(items, item{kind, arg})
	}
	for _, it := range slices.Backward(items) {
		var err error
		switch it.kind {
		case "pid":
			if pid, perr := strconv.Atoi(it.arg); perr == nil {
				err = stopProcess(pid, syscall.SIGTERM)
			}
		case "docker":
			_ = exec.Command("docker", "rm", "-f", it.arg).Run()
		case "dir":
			err = removeWithServers(it.arg)
		}
		if err != nil {
			fmt.Fprintf(log, "demo cleanup: %s %s: %v\n", it.kind, it.arg, err)
		}
	}
}

// stopProcess sends sig, waits up to 10 s for the process to be gone, then kills it.
func stopProcess(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !alive(pid) {
			return nil
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !alive(pid) {
			return nil
		}
	}
	return fmt.Errorf("process %d is still running after SIGKILL", pid)
}

// alive reports whether pid runs; a zombie (exited, not yet waited for by its parent)
// does not.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil // no /proc: ask the kernel
	}
	// The state follows the command name in parentheses, which may hold spaces.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}

// removeWithServers stops every Postgres server whose data directory is below dir
// (SIGINT is its fast shutdown: clients are disconnected, nothing is waited for), then
// removes dir.
func removeWithServers(dir string) error {
	var errs []error
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "postmaster.pid" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		first, _, _ := strings.Cut(string(b), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 {
			errs = append(errs, stopProcess(pid, syscall.SIGINT))
		}
		return nil
	})
	errs = append(errs, os.RemoveAll(dir))
	return errors.Join(errs...)
}
