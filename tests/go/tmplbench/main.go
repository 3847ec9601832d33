// Command tmplbench is the Go baseline of tests/bench/bench_template.c: it parses and
// executes the same template over the same JSON data with Go's text/template and prints
// the median time per parse and per execution.
//
// Usage: tmplbench TEMPLATE DATA.json ITERS RUNS
//
// Output: "parse NS\nexec NS\nbytes N\n" (median nanoseconds per operation over RUNS runs
// of ITERS operations each, after one untimed warm-up run; N is the size of one
// rendering).  Data numbers are decoded as
// rmk reads JSON (see tests/go/tmploracle).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

func convert(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return int(i)
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = convert(e)
		}
		return out
	case map[string]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			out[k] = convert(e)
		}
		return out
	}
	return v
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: tmplbench TEMPLATE DATA.json ITERS RUNS")
		os.Exit(2)
	}
	text, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var data interface{}
	if err := dec.Decode(&data); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	data = convert(data)
	iters, _ := strconv.Atoi(os.Args[3])
	runs, _ := strconv.Atoi(os.Args[4])
	var parse, exec []float64
	var size int
	// one untimed round first, so each process measures a warm runtime (heap grown)
	for r := -1; r < runs; r++ {
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			if _, err := template.New("bench").Parse(string(text)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		if r >= 0 {
			parse = append(parse, float64(time.Since(t0).Nanoseconds())/float64(iters))
		}
		t := template.Must(template.New("bench").Parse(string(text)))
		var buf bytes.Buffer
		t0 = time.Now()
		for i := 0; i < iters; i++ {
			buf.Reset()
			if err := t.Execute(&buf, data); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		if r >= 0 {
			exec = append(exec, float64(time.Since(t0).Nanoseconds())/float64(iters))
		}
		size = buf.Len()
	}
	fmt.Printf("parse %.0f\nexec %.0f\nbytes %d\n", median(parse), median(exec), size)
}
