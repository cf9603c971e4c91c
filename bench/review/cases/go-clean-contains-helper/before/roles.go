// Package roles decides what users may do.
package roles

var admins = []string{"root", "ops"}

var banned = []string{"spam-bot"}

// IsAdmin reports whether the user named name is an administrator.
func IsAdmin(name string) bool {
	for _, a := range admins {
		if a == name {
			return true
		}
	}
	return false
}

// IsBanned reports whether the user named name may not log in.
func IsBanned(name string) bool {
	for _, b := range banned {
		if b == name {
			return true
		}
	}
	return false
}
