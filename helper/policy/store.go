package policy

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrAdminLocked means the administrator does not let users change the list.
var ErrAdminLocked = errors.New("the administrator does not allow users to manage domains")

// Store reads the policy fresh on every Load, so edits by the CLI, the
// administrator or another agent take effect without a restart, and writes
// the user's list.
type Store struct {
	// AdminFile overrides where the admin policy is read (tests). Empty
	// means the OS location: a file on macOS and Linux, the registry on
	// Windows.
	AdminFile string
	// UserFile is the user's own policy file.
	UserFile string

	mu sync.Mutex // serialises read-modify-write of UserFile
}

func (s *Store) admin() (*File, error) {
	if s.AdminFile != "" {
		return ReadFile(s.AdminFile)
	}
	return readAdminPolicy()
}

// Load returns the effective policy and warnings about entries it dropped.
func (s *Store) Load() (*Policy, []error, error) {
	admin, err := s.admin()
	if err != nil {
		return nil, nil, err
	}
	user, err := ReadFile(s.UserFile)
	if err != nil {
		return nil, nil, err
	}
	p, warns := Merge(admin, user)
	return p, warns, nil
}

// Allow adds domain to the user's list.
func (s *Store) Allow(domain string) (*Policy, error) {
	return s.editUser(domain, func(list []string, d string) []string {
		if slices.Contains(list, d) {
			return list
		}
		return append(list, d)
	})
}

// Remove takes domain off the user's list. Domains the admin allowed stay.
func (s *Store) Remove(domain string) (*Policy, error) {
	return s.editUser(domain, func(list []string, d string) []string {
		return slices.DeleteFunc(list, func(e string) bool {
			n, err := NormalizeDomain(e)
			return err == nil && n == d
		})
	})
}

func (s *Store) editUser(domain string, edit func([]string, string) []string) (*Policy, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, err := s.Load()
	if err != nil {
		return nil, err
	}
	if !p.UsersCanManageDomains {
		return nil, ErrAdminLocked
	}
	user, err := ReadFile(s.UserFile)
	if err != nil {
		return nil, err
	}
	user.Domains = edit(user.Domains, d)
	// The user's file may never carry admin-only settings.
	user.Extensions, user.UsersCanManageDomains = nil, nil
	user.AllowRemoteTransfer = false
	user.ScreenRecordingIndicator = false
	user.ScreenMonitoringIndicator = false
	if err := WriteFile(s.UserFile, user); err != nil {
		return nil, fmt.Errorf("%s: %w", domain, err)
	}
	p, _, err = s.Load()
	return p, err
}
