package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
)

// table is a rendered-agnostic grid of cells.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// writeText aligns the table in columns separated by two spaces.
func (t *table) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// writeMarkdown renders a GitHub-flavoured markdown table; text columns
// are left-aligned and numeric ones right-aligned.
func (t *table) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| " + strings.Join(escapeCells(t.header), " | ") + " |\n|")
	for i := range t.header {
		if t.numeric(i) {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("| " + strings.Join(escapeCells(r), " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// numeric reports whether every cell of column i other than the "-"
// placeholder starts like a number ("12", "+3", "-4", "±5%").
func (t *table) numeric(i int) bool {
	seen := false
	for _, r := range t.rows {
		if i >= len(r) || r[i] == "-" || r[i] == "" {
			continue
		}
		first, _ := utf8.DecodeRuneInString(r[i])
		if !unicode.IsDigit(first) && !strings.ContainsRune("+-±", first) {
			return false
		}
		seen = true
	}
	return seen
}

func escapeCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return out
}
