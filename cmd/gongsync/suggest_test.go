package main

import (
	"strings"
	"testing"
)

// A mistyped command, flag or stream gets the nearest known name, as action inputs
// do (issue 25, item 14).
func TestTyposGetDidYouMean(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "postgres://x@localhost/x", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "s"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"snyc"}, "did you mean sync?"},
		{[]string{"sync", "--stream", "calls"}, "did you mean --streams?"},
		{[]string{"sync", "--streams", "cals"}, "did you mean calls?"},
	} {
		if code, _, errOut := gongsync(t, env, tc.args...); code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", tc.args, code, tc.want, errOut)
		}
	}
}
