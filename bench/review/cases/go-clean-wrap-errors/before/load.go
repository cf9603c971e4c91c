// Package load reads the users file.
package load

import (
	"encoding/json"
	"os"
)

// User is one line of the users file.
type User struct {
	Name string `json:"name"`
}

// LoadUsers reads the JSON array of users at path.
func LoadUsers(path string) ([]User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var users []User
	if err := json.Unmarshal(data, &users); err != nil {
		return nil, err
	}
	return users, nil
}
