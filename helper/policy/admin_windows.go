package policy

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// adminKey is where administrators (Group Policy, an MSI) set the policy.
const adminKey = `Software\BPClient`

func readAdminPolicy() (*File, error) {
	var f File
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, adminKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return &f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read HKLM\\%s: %w", adminKey, err)
	}
	defer k.Close()
	if v, _, err := k.GetStringsValue("Domains"); err == nil {
		f.Domains = v
	}
	if v, _, err := k.GetStringsValue("Extensions"); err == nil {
		f.Extensions = v
	}
	if v, _, err := k.GetStringValue("CAFile"); err == nil {
		f.CAFile = v
	}
	// PEM text: a multi-string (one line each) or a string.
	if v, _, err := k.GetStringsValue("CAPem"); err == nil {
		f.CAPEM = strings.Join(v, "\n")
	} else if v, _, err := k.GetStringValue("CAPem"); err == nil {
		f.CAPEM = v
	}
	if v, _, err := k.GetIntegerValue("UsersCanManageDomains"); err == nil {
		b := v != 0
		f.UsersCanManageDomains = &b
	}
	if v, _, err := k.GetStringValue("SupportUploadUrl"); err == nil {
		f.SupportUploadURL = v
	}
	if v, _, err := k.GetIntegerValue("ScreenRecordingIndicator"); err == nil {
		f.ScreenRecordingIndicator = v != 0
	}
	if v, _, err := k.GetIntegerValue("AllowRemoteTransfer"); err == nil {
		f.AllowRemoteTransfer = v != 0
	}
	if v, _, err := k.GetIntegerValue("ScreenMonitoringIndicator"); err == nil {
		f.ScreenMonitoringIndicator = v != 0
	}
	return &f, nil
}
