// Command testsummary reads `go test -json` on stdin and prints each package's
// result, the full output of every failing test, and the counts make test
// promises: all tests, and the end-to-end package on its own. It exits non-zero
// when a test failed or the e2e package ran no test or skipped one.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

type counts struct{ passed, failed, skipped int }

func (c *counts) add(action string) {
	switch action {
	case "pass":
		c.passed++
	case "fail":
		c.failed++
	case "skip":
		c.skipped++
	}
}

func main() {
	e2e := flag.String("e2e", "", "import path of the end-to-end package")
	flag.Parse()
	var all, end counts
	output := map[string][]string{} // package/test -> lines, kept until the test ends
	var failures, skips []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			fmt.Println(sc.Text()) // build errors arrive as plain text
			continue
		}
		key := ev.Package + " " + ev.Test
		switch ev.Action {
		case "output":
			output[key] = append(output[key], ev.Output)
		case "pass", "fail", "skip":
			if ev.Test == "" { // the package's own result
				if ev.Action == "fail" {
					fmt.Print(strings.Join(output[key], ""))
					failures = append(failures, ev.Package+" (package)")
				}
				fmt.Printf("%-4s %s (%.1fs)\n", strings.ToUpper(ev.Action), ev.Package, ev.Elapsed)
				delete(output, key)
				continue
			}
			all.add(ev.Action)
			if ev.Package == *e2e {
				end.add(ev.Action)
			}
			if ev.Action == "fail" {
				failures = append(failures, key)
				fmt.Print(strings.Join(output[key], ""))
			}
			if ev.Action == "skip" {
				skips = append(skips, key)
			}
			delete(output, key)
		}
	}
	sort.Strings(skips)
	for _, s := range skips {
		fmt.Println("skipped:", s)
	}
	for _, f := range failures {
		fmt.Println("FAILED:", f)
	}
	fmt.Printf("tests: %d passed, %d failed, %d skipped\n", all.passed, all.failed, all.skipped)
	if *e2e != "" {
		fmt.Printf("e2e: %d passed, %d failed, %d skipped\n", end.passed, end.failed, end.skipped)
	}
	switch {
	case len(failures) > 0:
		os.Exit(1)
	case *e2e != "" && (end.passed == 0 || end.skipped > 0):
		fmt.Println("e2e tests did not all run")
		os.Exit(1)
	}
}
