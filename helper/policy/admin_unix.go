//go:build !windows

package policy

import "github.com/openbpclient/bpclient/helper/paths"

func readAdminPolicy() (*File, error) { return ReadFile(paths.AdminPolicyFile()) }
