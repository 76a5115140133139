package cli

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/openbpclient/bpclient/helper/policy"
	"github.com/openbpclient/bpclient/helper/support"
)

// TestUploadTrustsTheAdminCA: a support server whose certificate only the
// admin policy's CA vouches for takes the upload; without that CA the
// upload is refused by TLS.
func TestUploadTrustsTheAdminCA(t *testing.T) {
	received := false
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { received = true }))
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	path := filepath.Join(t.TempDir(), "b.zip")
	os.WriteFile(path, []byte("PK"), 0o600)
	for _, tc := range []struct {
		pol  policy.Policy
		want bool
	}{{policy.Policy{CAPEM: caPEM}, true}, {policy.Policy{}, false}} {
		received = false
		roots, err := adminRoots(&tc.pol)
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		err = support.Upload(context.Background(), client, srv.URL, path)
		if (err == nil) != tc.want || received != tc.want {
			t.Errorf("with CA %v: %v (received %v)", tc.pol.CAPEM != "", err, received)
		}
	}
}
