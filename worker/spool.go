package worker

import (
	"context"
	"fmt"
	"io"
	"os"
)

// spool copies a blob into a temporary file, for what needs random access
// to content (zip archives) without holding it in memory. The caller calls
// the returned function to remove the file.
func (w *Worker) spool(ctx context.Context, blobID string) (*os.File, func(), error) {
	rc, err := w.store.OpenBlob(ctx, blobID)
	if err != nil {
		return nil, nil, fmt.Errorf("open package content: %w", err)
	}
	defer rc.Close()

	f, err := os.CreateTemp(w.tempDir, "osemu-content-*")
	if err != nil {
		return nil, nil, fmt.Errorf("spool package content: %w", err)
	}
	remove := func() {
		f.Close()
		os.Remove(f.Name())
	}
	if _, err := io.Copy(f, rc); err != nil {
		remove()
		return nil, nil, fmt.Errorf("spool package content: %w", err)
	}
	return f, remove, nil
}
