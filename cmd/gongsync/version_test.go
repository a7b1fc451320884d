package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// stamp sets the values make release writes with -ldflags, for one test.
func stamp(t *testing.T, v, c, d string) {
	old := [3]string{version, commit, date}
	version, commit, date = v, c, d
	t.Cleanup(func() { version, commit, date = old[0], old[1], old[2] })
}

// Not parallel: the stamped values are package variables.
func TestVersionPrintsWhatTheBuildStamped(t *testing.T) {
	stamp(t, "v1.4.2", "0123456789abcdef0123456789abcdef01234567", "2026-11-27T10:20:30Z")
	code, out, errOut := gongsync(t, nil, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "gongsync v1.4.2\ncommit:   0123456789abcdef0123456789abcdef01234567\nbuilt:    2026-11-27T10:20:30Z\n" +
		"go:       " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if out != want {
		t.Errorf("version printed\n%s\nwant\n%s", out, want)
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(buildInfoCollector())
	exp := `# HELP gongsync_build_info Always 1; the labels say which build of gongsync is running.
# TYPE gongsync_build_info gauge
gongsync_build_info{commit="0123456789abcdef0123456789abcdef01234567",goversion="` + runtime.Version() + `",version="v1.4.2"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "gongsync_build_info"); err != nil {
		t.Error(err)
	}
}

func TestVersionOfAnUnstampedBuild(t *testing.T) {
	stamp(t, "", "", "")
	b := buildOf()
	// go test builds carry no version; the tests run with -buildvcs=false or from a
	// checkout, so the commit is either unknown or a full hash.
	if !strings.HasPrefix(b.Version, "devel") {
		t.Errorf("version %q, want devel…", b.Version)
	}
	if b.Commit != "unknown" && len(b.Commit) != 40 {
		t.Errorf("commit %q", b.Commit)
	}
	if b.Date == "" || b.Go != runtime.Version() {
		t.Errorf("%+v", b)
	}
	if code, out, _ := gongsync(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "gongsync devel") {
		t.Errorf("exit %d: %s", code, out)
	}
	if code, _, errOut := gongsync(t, nil, "version", "extra"); code != 2 || !strings.Contains(errOut, "unexpected arguments") {
		t.Errorf("version extra: exit %d: %s", code, errOut)
	}
}
