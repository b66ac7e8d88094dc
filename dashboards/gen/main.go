// Command gen writes exhaust's Grafana dashboards as JSON. It is run by
// go generate in package dashboards:
//
//	go generate ./dashboards/...
package main

import (
	"flag"
	"fmt"
	"os"

	"exhaust/dashboards"
)

func main() {
	dir := flag.String("dir", ".", "directory to write the dashboards' JSON into")
	flag.Parse()
	if err := dashboards.Write(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "generate dashboards:", err)
		os.Exit(1)
	}
}
