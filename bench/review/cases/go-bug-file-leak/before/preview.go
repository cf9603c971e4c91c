// Package preview shows the start of text files.
package preview

import (
	"bufio"
	"os"
)

// FirstLine returns the first line of the file at path.
func FirstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan()
	return s.Text(), s.Err()
}
