// sops_yaml_oracle.go - test oracle: what real sops' YAML store writes for a YAML input.
//
// Built only in tests (GOPATH mode against Debian's golang-gopkg-yaml.v3-dev, the go-yaml
// v3.0.1 that sops links).  It reads YAML on stdin, turns every document into the tree sops
// works on (ordered items, whole-line / inline comment items, values typed by go-yaml's
// resolver), and writes it back with go-yaml's encoder exactly the way the sops YAML store
// does (comment items become head / line / foot comments, indent from -indent).  With -types
// it prints one "path<TAB>type<TAB>value" line per leaf instead, so a test can compare how
// values are typed.  Written for this project from the documented behaviour of sops'
// stores/yaml (no sops code is used).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

type comment struct {
	text   string
	inline bool
}

type item struct {
	key   interface{} // string key or comment
	value interface{}
}

type branch []item

func splitComments(c string, inline bool) []comment {
	var out []comment
	if c == "" {
		return out
	}
	for _, l := range strings.Split(c, "\n") {
		if l != "" {
			out = append(out, comment{l[1:], inline})
		}
	}
	return out
}

func addToMap(b branch, c string, inline bool) branch {
	for _, cm := range splitComments(c, inline) {
		b = append(b, item{cm, nil})
	}
	return b
}

func addToList(l []interface{}, c string, inline bool) []interface{} {
	for _, cm := range splitComments(c, inline) {
		l = append(l, cm)
	}
	return l
}

func nodeValue(n *yaml.Node, handled bool) (interface{}, error) {
	switch n.Kind {
	case yaml.SequenceNode:
		var l []interface{}
		if !handled {
			l = addToList(l, n.HeadComment, false)
			l = addToList(l, n.LineComment, false)
		}
		for _, it := range n.Content {
			l = addToList(l, it.HeadComment, false)
			l = addToList(l, it.LineComment, true)
			v, err := nodeValue(it, true)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			l = addToList(l, it.FootComment, false)
		}
		if !handled {
			l = addToList(l, n.FootComment, false)
		}
		if l == nil {
			l = []interface{}{}
		}
		return l, nil
	case yaml.MappingNode:
		return nodeBranch(n, branch{}, handled)
	case yaml.ScalarNode:
		var v interface{}
		err := n.Decode(&v)
		return v, err
	case yaml.AliasNode:
		return nodeValue(n.Alias, false)
	}
	return nil, nil
}

func nodeBranch(n *yaml.Node, b branch, handled bool) (branch, error) {
	if !handled {
		b = addToMap(b, n.HeadComment, false)
		b = addToMap(b, n.LineComment, false)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			var err error
			if b, err = nodeBranch(c, b, false); err != nil {
				return nil, err
			}
		}
	case yaml.SequenceNode:
		return nil, fmt.Errorf("YAML documents that are sequences are not supported")
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			b = addToMap(b, k.HeadComment, false)
			b = addToMap(b, k.LineComment, false)
			scalar := v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode
			if scalar {
				b = addToMap(b, v.HeadComment, false)
				b = addToMap(b, v.LineComment, true)
			}
			var kv interface{}
			if err := k.Decode(&kv); err != nil {
				return nil, err
			}
			val, err := nodeValue(v, scalar)
			if err != nil {
				return nil, err
			}
			b = append(b, item{kv, val})
			if scalar {
				b = addToMap(b, v.FootComment, false)
			}
			b = addToMap(b, k.FootComment, false)
		}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return b, nil
		}
		return nil, fmt.Errorf("YAML documents that are values are not supported")
	case yaml.AliasNode:
		return nodeBranch(n.Alias, b, false)
	}
	if !handled {
		b = addToMap(b, n.FootComment, false)
	}
	return b, nil
}

func join(cs []string) string { return "#" + strings.Join(cs, "\n#") }

func addHead(n *yaml.Node, cs []string) {
	if len(cs) == 0 {
		return
	}
	if n.HeadComment != "" {
		n.HeadComment = join(cs) + "\n" + n.HeadComment
	} else {
		n.HeadComment = join(cs)
	}
}

func addFoot(n *yaml.Node, cs []string) {
	if len(cs) == 0 {
		return
	}
	if n.FootComment != "" {
		n.FootComment += "\n" + join(cs)
	} else {
		n.FootComment = join(cs)
	}
}

func addLine(n *yaml.Node, cs []string) {
	if len(cs) == 0 {
		return
	}
	if n.LineComment != "" {
		n.LineComment += "\n" + join(cs)
	} else {
		n.LineComment = join(cs)
	}
}

func toNode(v interface{}) *yaml.Node {
	switch v := v.(type) {
	case branch:
		m := &yaml.Node{Kind: yaml.MappingNode}
		fromBranch(v, m)
		return m
	case []interface{}:
		s := &yaml.Node{Kind: yaml.SequenceNode}
		fromList(v, s)
		return s
	default:
		n := &yaml.Node{}
		n.Encode(v)
		return n
	}
}

func fromList(l []interface{}, s *yaml.Node) {
	var head, inline []string
	begin := true
	for _, it := range l {
		if c, ok := it.(comment); ok {
			if c.inline {
				inline = append(inline, c.text)
			} else {
				head = append(head, c.text)
			}
			continue
		}
		if begin {
			addHead(s, head)
			head = nil
			begin = false
		}
		n := toNode(it)
		addHead(n, head)
		head = nil
		addLine(n, inline)
		inline = nil
		s.Content = append(s.Content, n)
	}
	head = append(head, inline...)
	if len(head) > 0 {
		if begin {
			addHead(s, head)
		} else {
			addFoot(s.Content[len(s.Content)-1], head)
		}
	}
}

func fromBranch(b branch, m *yaml.Node) {
	var head, inline []string
	begin := true
	for _, it := range b {
		if c, ok := it.key.(comment); ok {
			if c.inline {
				inline = append(inline, c.text)
			} else {
				head = append(head, c.text)
			}
			continue
		}
		if begin {
			addHead(m, head)
			head = nil
			begin = false
		}
		k := &yaml.Node{}
		k.Encode(it.key)
		addHead(k, head)
		head = nil
		v := toNode(it.value)
		addLine(v, inline)
		inline = nil
		m.Content = append(m.Content, k, v)
	}
	head = append(head, inline...)
	if len(head) > 0 {
		if begin {
			addHead(m, head)
		} else {
			addFoot(m.Content[len(m.Content)-2], head)
		}
	}
}

func typeOf(v interface{}) (string, string) {
	switch v := v.(type) {
	case string:
		return "str", v
	case int:
		return "int", strconv.Itoa(v)
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return "float", strconv.FormatFloat(v, 'f', -1, 64)
		}
		return "float", strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "bool", "True"
		}
		return "bool", "False"
	case time.Time:
		b, _ := v.MarshalText()
		return "time", string(b)
	case nil:
		return "null", ""
	case comment:
		return "comment", v.text
	}
	return fmt.Sprintf("%T", v), fmt.Sprint(v)
}

func dumpTypes(w io.Writer, v interface{}, path string) {
	switch v := v.(type) {
	case branch:
		for _, it := range v {
			if c, ok := it.key.(comment); ok {
				t, s := typeOf(c)
				fmt.Fprintf(w, "%s\t%s\t%q\n", path, t, s)
				continue
			}
			ks, ok := it.key.(string)
			if !ok {
				fmt.Fprintf(w, "%s\tnonstring-key\t%v\n", path, it.key)
				continue
			}
			dumpTypes(w, it.value, path+ks+":")
		}
	case []interface{}:
		for _, it := range v {
			dumpTypes(w, it, path)
		}
	default:
		t, s := typeOf(v)
		fmt.Fprintf(w, "%s\t%s\t%q\n", path, t, s)
	}
}

func main() {
	indent := flag.Int("indent", 4, "indentation")
	types := flag.Bool("types", false, "print leaf types instead of YAML")
	flag.Parse()
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var branches []branch
	d := yaml.NewDecoder(bytes.NewReader(in))
	for {
		var doc yaml.Node
		err := d.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		b, err := nodeBranch(&doc, branch{}, false)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		branches = append(branches, b)
	}
	if *types {
		for _, b := range branches {
			dumpTypes(os.Stdout, b, "")
		}
		return
	}
	var out bytes.Buffer
	e := yaml.NewEncoder(&out)
	e.SetIndent(*indent)
	for _, b := range branches {
		doc := yaml.Node{Kind: yaml.DocumentNode}
		m := yaml.Node{Kind: yaml.MappingNode}
		fromBranch(b, &m)
		doc.Content = append(doc.Content, &m)
		if err := e.Encode(&doc); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
	}
	e.Close()
	os.Stdout.Write(out.Bytes())
}
