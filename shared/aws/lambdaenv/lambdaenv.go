// Package lambdaenv reads the functions' settings from the environment, naming any variable that is missing or wrong.
package lambdaenv

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Env collects problems while reading variables, so a cold start reports all of them at once.
type Env struct{ errs []error }

// String reads a required variable.
func (e *Env) String(name string) string {
	v := os.Getenv(name)
	if v == "" {
		e.errs = append(e.errs, fmt.Errorf("environment variable %s is required", name))
	}
	return v
}

// Optional reads a variable with a default.
func (e *Env) Optional(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Int reads a positive integer variable with a default.
func (e *Env) Int(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		e.errs = append(e.errs, fmt.Errorf("environment variable %s=%q must be a positive integer", name, v))
	}
	return n
}

// Duration reads a positive Go duration variable with a default.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.errs = append(e.errs, fmt.Errorf("environment variable %s=%q must be a positive duration such as 30s", name, v))
	}
	return d
}

// Err returns every problem found, or nil.
func (e *Env) Err() error { return errors.Join(e.errs...) }
