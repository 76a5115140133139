package support

import (
	"fmt"

	"golang.org/x/sys/windows"
)

func downloadsDir(func(string) string) (string, error) {
	dir, err := windows.KnownFolderPath(windows.FOLDERID_Downloads, 0)
	if err != nil {
		return "", fmt.Errorf("downloads folder: %w", err)
	}
	return dir, nil
}
