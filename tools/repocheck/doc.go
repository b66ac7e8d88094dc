// Package repocheck holds checks of the repository itself rather than of
// the code: its tests fail when a tracked file is over MaxSize and not an
// allowed asset, or is a compiled executable of any size, so a build output
// (a 7 MB wifi.test was once committed) never lands again.
package repocheck
