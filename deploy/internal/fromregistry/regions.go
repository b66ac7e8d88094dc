package fromregistry

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// beginRE and endRE match the markers around a generated region, in a
// comment of the file's language: "# BEGIN generated <name>: from the
// producer registry by go generate ./deploy, do not edit" and
// "# END generated <name>", or the same inside <!-- -->.
var (
	beginRE = regexp.MustCompile(`(#|<!--) BEGIN generated ([a-z][a-z ]*[a-z]): from the producer registry by go generate \./deploy, do not edit( -->)?`)
	endRE   = regexp.MustCompile(`(#|<!--) END generated ([a-z][a-z ]*[a-z])( -->)?`)
)

// Begin returns the marker that opens region name in a file that comments
// with prefix ("#" or "<!--").
func Begin(prefix, name string) string {
	return prefix + " BEGIN generated " + name + ": from the producer registry by go generate ./deploy, do not edit" + closing(prefix)
}

// End returns the marker that closes region name.
func End(prefix, name string) string { return prefix + " END generated " + name + closing(prefix) }

func closing(prefix string) string {
	if prefix == "<!--" {
		return " -->"
	}
	return ""
}

// fill returns src with each region's content replaced by what fills
// returns for it. A region whose BEGIN marker is alone on its line spans
// the lines up to its END marker's line, and every generated line is
// indented as the BEGIN marker is. Otherwise the region is the text between
// the two markers on one line (a cell of a Markdown table). Every region of
// fills must appear exactly once in src, and src may hold no other.
func fill(src []byte, fills map[string]string) ([]byte, error) {
	lines := strings.SplitAfter(string(src), "\n")
	var out strings.Builder
	seen := map[string]bool{}
	note := func(name string, line int) error {
		if _, ok := fills[name]; !ok {
			return fmt.Errorf("line %d: unknown generated region %q", line, name)
		}
		if seen[name] {
			return fmt.Errorf("line %d: region %q appears twice", line, name)
		}
		seen[name] = true
		return nil
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		m := beginRE.FindStringIndex(line)
		if m == nil {
			if e := endRE.FindStringSubmatch(line); e != nil {
				return nil, fmt.Errorf("line %d: END of region %q without its BEGIN", i+1, e[2])
			}
			out.WriteString(line)
			continue
		}
		indent, rest := line[:m[0]], strings.TrimRight(line[m[1]:], "\r\n")
		name := beginRE.FindStringSubmatch(line)[2]
		if strings.TrimSpace(indent) == "" && strings.TrimSpace(rest) == "" {
			// A region of whole lines.
			if err := note(name, i+1); err != nil {
				return nil, err
			}
			end := -1
			for j := i + 1; j < len(lines); j++ {
				if e := endRE.FindStringSubmatch(lines[j]); e != nil {
					if e[2] != name || strings.TrimSpace(lines[j]) != e[0] {
						return nil, fmt.Errorf("line %d: want END of region %q alone on its line, found %q", j+1, name, strings.TrimSpace(lines[j]))
					}
					end = j
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("line %d: region %q has no END", i+1, name)
			}
			out.WriteString(line)
			for _, g := range strings.Split(strings.TrimSuffix(fills[name], "\n"), "\n") {
				if g != "" {
					out.WriteString(indent)
				}
				out.WriteString(g + "\n")
			}
			out.WriteString(lines[end])
			i = end
			continue
		}
		// Regions inside the line.
		var b strings.Builder
		for {
			m := beginRE.FindStringSubmatchIndex(line)
			if m == nil {
				break
			}
			name := line[m[4]:m[5]]
			if err := note(name, i+1); err != nil {
				return nil, err
			}
			e := endRE.FindStringSubmatchIndex(line[m[1]:])
			if e == nil || line[m[1]+e[4]:m[1]+e[5]] != name {
				return nil, fmt.Errorf("line %d: region %q does not end on its line", i+1, name)
			}
			b.WriteString(line[:m[1]])
			b.WriteString(fills[name])
			b.WriteString(line[m[1]+e[0] : m[1]+e[1]])
			line = line[m[1]+e[1]:]
		}
		if e := endRE.FindStringSubmatch(line); e != nil {
			return nil, fmt.Errorf("line %d: END of region %q without its BEGIN", i+1, e[2])
		}
		b.WriteString(line)
		out.WriteString(b.String())
	}
	for name := range fills {
		if !seen[name] {
			return nil, fmt.Errorf("no region %q: want it between the markers %q and %q (or their <!-- --> forms)", name, Begin("#", name), End("#", name))
		}
	}
	return []byte(out.String()), nil
}

// FirstDiff describes the first line where got differs from want, for a
// message that says where a committed file went stale.
func FirstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := range min(len(wl), len(gl)) {
		if !bytes.Equal(wl[i], gl[i]) {
			return fmt.Sprintf("line %d: committed %q, generated %q", i+1, wl[i], gl[i])
		}
	}
	return fmt.Sprintf("committed %d lines, generated %d", len(wl), len(gl))
}
