// The Porcupine side of `faultline bench lin`: checks every shared history (jepsen/*.log with
// Porcupine's etcd model, kv/*.txt with its partitioned kv model, both from models.go) and
// prints, per file, the best of -rounds runs of parsing and of checking, machine-readably:
//
//	porcupine_file=jepsen/etcd_000.log parse_ms=1.234 check_ms=0.567 linearizable=false
//
// Best of N, as faultline reports its own figures: on a shared machine the mean measures the
// neighbours. Porcupine runs the keys of a kv history in parallel goroutines (its default).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	. "github.com/anishathalye/porcupine"
)

func best(rounds int, run func()) float64 {
	bestMs := -1.0
	for r := 0; r < rounds; r++ {
		start := time.Now()
		run()
		ms := float64(time.Since(start).Nanoseconds()) / 1e6
		if bestMs < 0 || ms < bestMs {
			bestMs = ms
		}
	}
	return bestMs
}

func measure(dir, folder, pattern string, rounds int, parse func(string) []Event, model Model) {
	names, err := filepath.Glob(filepath.Join(dir, folder, pattern))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sort.Strings(names)
	for _, path := range names {
		var events []Event
		parseMs := best(rounds, func() { events = parse(path) })
		var ok bool
		checkMs := best(rounds, func() { ok = CheckEvents(model, events) })
		fmt.Printf("porcupine_file=%s/%s parse_ms=%.4f check_ms=%.4f linearizable=%t\n", folder,
			filepath.Base(path), parseMs, checkMs, ok)
	}
}

func main() {
	dir := flag.String("histories", "../shared/histories", "the shared histories")
	rounds := flag.Int("rounds", 5, "runs per file; the fastest is reported")
	flag.Parse()
	measure(*dir, "jepsen", "*.log", *rounds, parseJepsenLog, etcdModel)
	measure(*dir, "kv", "*.txt", *rounds, parseKvLog, kvModel)
}
