package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// readArg reads a JSON argument the way every command takes one: inline, "@file" for a
// file, "-" for standard input. flag names the flag in errors (--input, -d).
func readArg(stdin io.Reader, flag, v string) ([]byte, error) {
	switch {
	case v == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("%s -: %w", flag, err)
		}
		return b, nil
	case strings.HasPrefix(v, "@"):
		b, err := os.ReadFile(v[1:])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		return b, nil
	}
	return []byte(v), nil
}
