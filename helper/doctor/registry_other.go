//go:build !windows

package doctor

// systemRegistry is nil where there is no registry.
func systemRegistry() RegistryReader { return nil }
