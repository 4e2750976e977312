// Command plan answers the ops question before a peak: backlog, waits, agents needed and cost, with a plot.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"breakwater/scripts/plan/model"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	p, err := parse(args)
	if err != nil {
		return err
	}
	r, err := model.Simulate(p.Sim)
	if err != nil {
		return fmt.Errorf("plan %s: %w", p.Name, err)
	}
	report(stdout, p, r)
	if p.SVG == "" {
		return nil
	}
	f, err := os.Create(p.SVG)
	if err != nil {
		return fmt.Errorf("create plot %s: %w", p.SVG, err)
	}
	if err := plot(f, p, r); err != nil {
		f.Close()
		return fmt.Errorf("write plot %s: %w", p.SVG, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write plot %s: %w", p.SVG, err)
	}
	fmt.Fprintf(stdout, "Plot written to %s\n", p.SVG)
	return nil
}
