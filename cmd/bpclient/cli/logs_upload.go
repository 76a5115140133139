package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/support"
)

// uploadBundle sends the bundle at path to the administrator's
// supportUploadUrl, trusting the system's roots and the admin policy's
// CA (the one the secure softphone trusts too), and returns the host it
// went to.
func uploadBundle(ctx context.Context, path string) (string, error) {
	store, err := policyStore()
	if err != nil {
		return "", err
	}
	pol, _, err := store.Load()
	if err != nil {
		return "", fmt.Errorf("upload: the policy: %w", err)
	}
	if pol.SupportUploadURL == "" {
		return "", errors.New("upload: the administrator's policy names no https supportUploadUrl")
	}
	roots, err := adminRoots(pol)
	if err != nil {
		return "", err
	}
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment,
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	if err := support.Upload(ctx, client, pol.SupportUploadURL, path); err != nil {
		return "", err
	}
	u, _ := url.Parse(pol.SupportUploadURL)
	return u.Host, nil
}

// adminRoots is the system's roots plus the admin policy's CA.
func adminRoots(pol *policy.Policy) (*x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	pem := []byte(pol.CAPEM)
	if pol.CAFile != "" {
		data, err := os.ReadFile(pol.CAFile)
		if err != nil {
			return nil, fmt.Errorf("upload: the admin policy's caFile: %w", err)
		}
		pem = append(append(pem, '\n'), data...)
	}
	if len(pem) > 1 && !roots.AppendCertsFromPEM(pem) {
		return nil, errors.New("upload: the admin policy's CA holds no certificate")
	}
	return roots, nil
}
