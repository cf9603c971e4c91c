// Package count counts things in files.
package count

import (
	"bufio"
	"os"
)

// CountLines returns the number of lines in the file at path.
func CountLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		n++
	}
	return n, nil
}
