package support

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// uploadTimeout bounds one upload: a bundle is at most DefaultLimit.
const uploadTimeout = 5 * time.Minute

// Upload POSTs the bundle at path to the administrator's
// supportUploadUrl (https only) as application/zip, through client. The
// URL may be signed: what an error says of it is scrubbed.
func Upload(ctx context.Context, client *http.Client, target, path string) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("upload: the supportUploadUrl must be an https URL")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), f)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	req.ContentLength = info.Size()
	req.Header.Set("Content-Type", "application/zip")
	req.Header.Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(info.Name(), `"`, "")+`"`)
	resp, err := client.Do(req)
	if err != nil {
		return errors.New("upload: " + Scrubber{}.Scrub(err.Error()))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("upload: %s answered %s", u.Host, resp.Status)
	}
	return nil
}
