// Package settings stores the user's settings as JSON.
package settings

import (
	"encoding/json"
	"os"
)

// Settings are the user's choices.
type Settings struct {
	Theme string `json:"theme"`
}

// Save writes s to path.
func Save(path string, s Settings) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
