package fromregistry

import (
	"strings"
	"testing"
	"testing/fstest"

	"exhaust/producers"
)

func TestFill(t *testing.T) {
	b, e := Begin("#", "names"), End("#", "names")
	mb, me := Begin("<!--", "names"), End("<!--", "names")
	tests := []struct {
		name    string
		src     string
		fill    string
		want    string
		wantErr string
	}{
		{
			name: "lines, indented as the marker",
			src:  "a:\n  " + b + "\n  old: 1\n\n  " + e + "\nb: 2\n",
			fill: "x: 1\n\ny: 2\n",
			want: "a:\n  " + b + "\n  x: 1\n\n  y: 2\n  " + e + "\nb: 2\n",
		},
		{
			name: "empty region filled",
			src:  b + "\n" + e + "\n",
			fill: "X=\n",
			want: b + "\nX=\n" + e + "\n",
		},
		{
			name: "inside a line",
			src:  "| " + mb + "`old`" + me + " | one each |\n",
			fill: "`a`, `b`",
			want: "| " + mb + "`a`, `b`" + me + " | one each |\n",
		},
		{
			name:    "no END",
			src:     b + "\nx\n",
			fill:    "y\n",
			wantErr: `region "names" has no END`,
		},
		{
			name:    "END alone",
			src:     "x\n" + e + "\n",
			wantErr: "without its BEGIN",
		},
		{
			name:    "unknown region",
			src:     Begin("#", "other") + "\n" + End("#", "other") + "\n",
			wantErr: `unknown generated region "other"`,
		},
		{
			name:    "region missing from the file",
			src:     "x\n",
			wantErr: `no region "names"`,
		},
		{
			name:    "twice",
			src:     b + "\n" + e + "\n" + b + "\n" + e + "\n",
			wantErr: "appears twice",
		},
		{
			name:    "inline without its END on the line",
			src:     "| " + mb + "`a`\n" + me + "\n",
			wantErr: "does not end on its line",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fills := map[string]string{"names": tt.fill}
			got, err := fill([]byte(tt.src), fills)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			// Filling again changes nothing.
			again, err := fill(got, fills)
			if err != nil || string(again) != string(got) {
				t.Errorf("second fill: %v\n%s", err, again)
			}
		})
	}
}

func TestGenerateRefusesBadNames(t *testing.T) {
	for _, name := range []string{"", "Parking", "car.park", "car park", "car>"} {
		_, err := Generate(fstest.MapFS{}, []producers.Spec{{Name: name}})
		if err == nil || !strings.Contains(err.Error(), "producer name") {
			t.Errorf("Generate with producer %q: error %v, want a refused name", name, err)
		}
	}
}
