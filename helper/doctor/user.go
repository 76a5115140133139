package doctor

import "os/user"

// currentUser is the account's name, or "" when the user database does
// not say.
func currentUser() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.Username
}
