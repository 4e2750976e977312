// Command plan answers the ops questions before a peak: which limit in the path binds first and when, what to raise
// or set before it, backlog and waits, the agents to staff, and what it costs, with a plot and a pre-peak check.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		switch {
		case errors.Is(err, flag.ErrHelp):
			return
		case errors.Is(err, errCheckFailed):
			fmt.Fprintln(os.Stderr, "plan:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(2)
	}
}

// errCheckFailed is -check's verdict that the stack as configured would throttle or drop contacts.
var errCheckFailed = errors.New("pre-peak check failed")

func run(args []string, stdout io.Writer) error {
	p, err := parse(args)
	if err != nil {
		return err
	}
	o, err := compute(p)
	if err != nil {
		return fmt.Errorf("plan %s: %w", p.Name, err)
	}
	if p.JSON {
		if err := writeJSON(stdout, p, o); err != nil {
			return err
		}
	} else {
		report(stdout, p, o)
	}
	if p.SVG != "" && !p.JSON {
		if err := writePlot(p, o); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Plot written to %s\n", p.SVG)
	}
	if p.Check {
		if fails := o.failures(); len(fails) > 0 {
			return fmt.Errorf("%w: the peak goes past %d limit(s) of the stack as configured; first: %s", errCheckFailed, len(fails), fails[0])
		}
	}
	return nil
}

func writePlot(p plan, o outcome) error {
	f, err := os.Create(p.SVG)
	if err != nil {
		return fmt.Errorf("create plot %s: %w", p.SVG, err)
	}
	if err := plot(f, p, o); err != nil {
		f.Close()
		return fmt.Errorf("write plot %s: %w", p.SVG, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write plot %s: %w", p.SVG, err)
	}
	return nil
}
