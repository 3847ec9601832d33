// Command tmploracle renders the template corpus (tests/data/tmpl/*.cases) with Go's own
// text/template, to check rmk's C implementation against it byte for byte.
//
// Usage: tmploracle DEFAULT_DATA.json OUTDIR FILE.cases...
//
// For every case it writes OUTDIR/FILE.NAME.out (the output) or OUTDIR/FILE.NAME.err
// (the error text) when parsing or execution fails.  Cases marked go=1.22 (or newer)
// need a newer Go than the one running and are skipped.  The case format is described
// in tests/data/tmpl/README.md; tests/tools/tmplcases.c reads the same files.
//
// JSON data is decoded the way rmk's document model reads it: integers become int
// (uint64 when above the int64 range), numbers with a fraction or exponent float64,
// objects map[string]interface{}, arrays []interface{} with len == cap.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/template"
)

type testCase struct {
	name   string
	opts   map[string]string
	text   string
	data   *string
	expect *string
	err    *string
}

// parseCases splits a case file into cases: "=== NAME key=value..." starts a case whose
// template text runs to the next marker; "--- data", "--- expect" and "--- error" start
// the optional sections.  The newline before a marker is not part of a section.
func parseCases(path string) ([]*testCase, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []*testCase
	var cur *testCase
	var sections map[string][]string
	var section string
	finish := func() {
		if cur == nil {
			return
		}
		cur.text = strings.Join(sections["text"], "\n")
		for _, k := range []string{"data", "expect", "error"} {
			if lines, ok := sections[k]; ok {
				s := strings.Join(lines, "\n")
				switch k {
				case "data":
					cur.data = &s
				case "expect":
					cur.expect = &s
				case "error":
					cur.err = &s
				}
			}
		}
		cases = append(cases, cur)
	}
	lines := strings.Split(string(raw), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, "=== "):
			finish()
			fields := strings.Fields(line[4:])
			if len(fields) == 0 {
				return nil, fmt.Errorf("%s: case without a name", path)
			}
			cur = &testCase{name: fields[0], opts: map[string]string{}}
			for _, f := range fields[1:] {
				k, v, _ := strings.Cut(f, "=")
				cur.opts[k] = v
			}
			sections = map[string][]string{"text": {}}
			section = "text"
		case cur != nil && (line == "--- data" || line == "--- expect" || line == "--- error"):
			section = line[4:]
			sections[section] = []string{}
		case cur == nil:
			// the file's header comments
		default:
			sections[section] = append(sections[section], line)
		}
	}
	finish()
	return cases, nil
}

// convert turns json.Number values into int / uint64 / float64 and rebuilds containers.
func convert(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return int(i)
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return u
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

func decode(s string) (interface{}, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return convert(v), nil
}

// goAtLeast reports whether this Go is at least version want ("1.22").
func goAtLeast(want string) bool {
	have := strings.TrimPrefix(runtime.Version(), "go")
	hp := strings.SplitN(have, ".", 3)
	wp := strings.SplitN(want, ".", 2)
	if len(hp) < 2 || len(wp) < 2 {
		return false
	}
	hmaj, _ := strconv.Atoi(hp[0])
	hmin, _ := strconv.Atoi(hp[1])
	wmaj, _ := strconv.Atoi(wp[0])
	wmin, _ := strconv.Atoi(wp[1])
	return hmaj > wmaj || (hmaj == wmaj && hmin >= wmin)
}

func render(c *testCase, defData interface{}) (string, error) {
	name := "t"
	if n, ok := c.opts["name"]; ok {
		name = n
	}
	t := template.New(name)
	if mk, ok := c.opts["missingkey"]; ok {
		t.Option("missingkey=" + mk)
	}
	t.Delims(c.opts["ldelim"], c.opts["rdelim"])
	data := defData
	if c.data != nil {
		d, err := decode(*c.data)
		if err != nil {
			return "", fmt.Errorf("case data: %v", err)
		}
		data = d
	}
	if _, ok := c.opts["nodata"]; ok {
		data = nil
	}
	// Several texts may be parsed into one set: "{{/*PARSE*/}}" on its own line splits them.
	for _, text := range strings.Split(c.text, "\n{{/*PARSE*/}}\n") {
		if _, err := t.Parse(text); err != nil {
			return "", err
		}
	}
	var buf bytes.Buffer
	var err error
	if ex, ok := c.opts["exec"]; ok {
		err = t.ExecuteTemplate(&buf, ex, data)
	} else {
		err = t.Execute(&buf, data)
	}
	return buf.String(), err
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: tmploracle DEFAULT_DATA.json OUTDIR FILE.cases...")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defData, err := decode(string(raw))
	if err != nil {
		fmt.Fprintln(os.Stderr, "default data:", err)
		os.Exit(1)
	}
	outdir := os.Args[2]
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, path := range os.Args[3:] {
		cases, err := parseCases(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		base := strings.TrimSuffix(filepath.Base(path), ".cases")
		for _, c := range cases {
			if v, ok := c.opts["go"]; ok && !goAtLeast(v) {
				fmt.Fprintf(w, "skip %s.%s (needs go%s)\n", base, c.name, v)
				continue
			}
			out, err := render(c, defData)
			stem := filepath.Join(outdir, base+"."+c.name)
			if err != nil {
				if werr := os.WriteFile(stem+".err", []byte(err.Error()), 0o644); werr != nil {
					fmt.Fprintln(os.Stderr, werr)
					os.Exit(1)
				}
				continue
			}
			if werr := os.WriteFile(stem+".out", []byte(out), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, werr)
				os.Exit(1)
			}
		}
	}
}
