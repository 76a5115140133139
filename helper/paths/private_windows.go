package paths

// onlyUserWrites is only asked on macOS; Windows has no such folder.
func onlyUserWrites(string) bool { return false }
