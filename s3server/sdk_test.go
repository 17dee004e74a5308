package s3server_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/osemu/osemu/s3server"
)

// TestObjects walks an object's life through the AWS SDK for Go v2.
func TestObjects(t *testing.T) {
	ctx := context.Background()
	clock := testClock()
	srv, store := MustServer(t, false, s3server.WithClock(clock))
	c := MustClient(t, srv)

	MustCreateBucket(t, c, "dicts")
	small := []byte("danish, dansk\nbig, large\n")
	large := randomBytes(3<<20+17, 1)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("dicts"), Key: aws.String("synonyms/en.txt"),
		Body: bytes.NewReader(small), ContentType: aws.String("text/plain; charset=utf-8"),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	MustPut(t, c, "dicts", "blobs/large.bin", large)
	MustPut(t, c, "dicts", "empty", nil)

	// Content comes back byte for byte.
	if got := MustGet(t, c, "dicts", "synonyms/en.txt"); !bytes.Equal(got, small) {
		t.Errorf("small object: got %q, want %q", got, small)
	}
	if got := MustGet(t, c, "dicts", "blobs/large.bin"); !bytes.Equal(got, large) {
		t.Errorf("large object: got %d bytes, differing from the %d put", len(got), len(large))
	}

	if got := MustGet(t, c, "dicts", "empty"); len(got) != 0 {
		t.Errorf("empty object: got %q, want nothing", got)
	}

	// A range.
	out, err := c.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String("dicts"), Key: aws.String("blobs/large.bin"),
		Range: aws.String("bytes=1048570-1048589"),
	})
	if err != nil {
		t.Fatalf("ranged GetObject: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if want := large[1048570:1048590]; !bytes.Equal(got, want) {
		t.Errorf("range: got %x, want %x", got, want)
	}
	if want := fmt.Sprintf("bytes 1048570-1048589/%d", len(large)); aws.ToString(out.ContentRange) != want {
		t.Errorf("Content-Range: got %q, want %q", aws.ToString(out.ContentRange), want)
	}

	// HeadObject: size, ETag and the injected clock's time.
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String("dicts"), Key: aws.String("synonyms/en.txt"),
	})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(small)) {
		t.Errorf("HeadObject ContentLength: got %d, want %d", aws.ToInt64(head.ContentLength), len(small))
	}
	if sum := md5.Sum(small); aws.ToString(head.ETag) != fmt.Sprintf(`"%x"`, sum) {
		t.Errorf("HeadObject ETag: got %s, want \"%x\"", aws.ToString(head.ETag), sum)
	}
	if !aws.ToTime(head.LastModified).Equal(clock.t) {
		t.Errorf("HeadObject LastModified: got %v, want %v", aws.ToTime(head.LastModified), clock.t)
	}
	if got := aws.ToString(head.ContentType); got != "text/plain; charset=utf-8" {
		t.Errorf("HeadObject ContentType: got %q, want the type it was put with", got)
	}

	// A missing key.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("dicts"), Key: aws.String("nope")})
	if code := errorCode(err); code != "NoSuchKey" {
		t.Errorf("GetObject of a missing key: got %v, want NoSuchKey", err)
	}

	smallBlob := MustBlobID(t, store, "dicts", "synonyms/en.txt")
	largeBlob := MustBlobID(t, store, "dicts", "blobs/large.bin")

	// Listing with a prefix.
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String("dicts"), Prefix: aws.String("syn"),
	})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "synonyms/en.txt" ||
		aws.ToInt64(list.Contents[0].Size) != int64(len(small)) {
		t.Errorf("ListObjectsV2 prefix syn: got %+v, want synonyms/en.txt of %d bytes", list.Contents, len(small))
	}

	// A bucket with objects cannot be deleted.
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("dicts")})
	if code := errorCode(err); code != "BucketNotEmpty" {
		t.Errorf("DeleteBucket of a full bucket: got %v, want BucketNotEmpty", err)
	}

	// Deleting one object, then the rest at once.
	deleteEn := &s3.DeleteObjectInput{Bucket: aws.String("dicts"), Key: aws.String("synonyms/en.txt")}
	if _, err := c.DeleteObject(ctx, deleteEn); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := c.DeleteObject(ctx, deleteEn); err != nil {
		t.Errorf("DeleteObject of a deleted key: got %v, want success", err)
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String("dicts"),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("blobs/large.bin")}, {Key: aws.String("empty")}, {Key: aws.String("never")},
		}},
	})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	if len(del.Deleted) != 3 || len(del.Errors) != 0 {
		t.Errorf("DeleteObjects: got %d deleted and errors %+v, want 3 deleted", len(del.Deleted), del.Errors)
	}

	// Now the bucket goes, and no content is left behind.
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("dicts")}); err != nil {
		t.Fatalf("DeleteBucket of an empty bucket: %v", err)
	}
	buckets, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if len(buckets.Buckets) != 0 {
		t.Errorf("ListBuckets after DeleteBucket: got %d buckets, want 0", len(buckets.Buckets))
	}
	for _, id := range []string{smallBlob, largeBlob} {
		if blobExists(t, store, id) {
			t.Errorf("blob %s of a deleted object is still there", id)
		}
	}
}

// TestBuckets checks bucket creation, listing and the errors around them.
func TestBuckets(t *testing.T) {
	ctx := context.Background()
	clock := testClock()
	srv, _ := MustServer(t, false, s3server.WithClock(clock))
	c := MustClient(t, srv)

	MustCreateBucket(t, c, "b-two")
	MustCreateBucket(t, c, "a-one")

	tests := []struct {
		bucket string
		want   string
	}{
		{"a-one", ""}, // again: succeeds, as for the owner in us-east-1
		{"Invalid_Name", "InvalidBucketName"},
	}
	for _, tt := range tests {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(tt.bucket)})
		if code := errorCode(err); code != tt.want || (tt.want == "" && err != nil) {
			t.Errorf("CreateBucket %s: got %v, want %s", tt.bucket, err, tt.want)
		}
	}

	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
		if !aws.ToTime(b.CreationDate).Equal(clock.t) {
			t.Errorf("bucket %s CreationDate: got %v, want %v", aws.ToString(b.Name), b.CreationDate, clock.t)
		}
	}
	if want := []string{"a-one", "b-two"}; !slices.Equal(names, want) {
		t.Errorf("ListBuckets: got %v, want %v", names, want)
	}

	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("a-one")}); err != nil {
		t.Errorf("HeadBucket of a bucket: %v", err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("missing")})
	if code := errorCode(err); code != "NoSuchBucket" {
		t.Errorf("ListObjectsV2 of a missing bucket: got %v, want NoSuchBucket", err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("missing")})
	if code := errorCode(err); code != "NoSuchBucket" {
		t.Errorf("DeleteBucket of a missing bucket: got %v, want NoSuchBucket", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("missing"), Key: aws.String("k"), Body: strings.NewReader("x"),
	})
	if code := errorCode(err); code != "NoSuchBucket" {
		t.Errorf("PutObject into a missing bucket: got %v, want NoSuchBucket", err)
	}
}

// TestListPagination pages through listings one entry at a time, with and
// without a delimiter, in both API versions, and expects every entry
// exactly once.
func TestListPagination(t *testing.T) {
	ctx := context.Background()
	srv, _ := MustServer(t, false)
	c := MustClient(t, srv)
	MustCreateBucket(t, c, "tree")
	for _, k := range []string{"a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d"} {
		MustPut(t, c, "tree", k, []byte(k))
	}

	tests := []struct {
		prefix, delimiter string
		want              []string // keys and common prefixes, sorted
	}{
		{"", "", []string{"a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d"}},
		{"", "/", []string{"a/", "b", "c/", "d"}},
		{"a/", "/", []string{"a/1", "a/2", "a/b/"}},
		{"a", "/", []string{"a/"}},
		{"c/", "", []string{"c/1", "c/2"}},
		{"zzz", "/", nil},
	}
	for _, tt := range tests {
		for _, maxKeys := range []int32{1, 2, 1000} {
			// Each key and each common prefix counts once against MaxKeys,
			// and only the last page is short.
			wantPages := max(1, (len(tt.want)+int(maxKeys)-1)/int(maxKeys))
			name := fmt.Sprintf("prefix=%q,delimiter=%q,max=%d", tt.prefix, tt.delimiter, maxKeys)
			t.Run(name+",v2", func(t *testing.T) {
				var got []string
				p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{
					Bucket: aws.String("tree"), Prefix: aws.String(tt.prefix),
					Delimiter: aws.String(tt.delimiter), MaxKeys: aws.Int32(maxKeys),
				})
				pages := 0
				for ; p.HasMorePages(); pages++ {
					if pages > 20 {
						t.Fatal("more than 20 pages")
					}
					page, err := p.NextPage(ctx)
					if err != nil {
						t.Fatalf("ListObjectsV2: %v", err)
					}
					for _, o := range page.Contents {
						got = append(got, aws.ToString(o.Key))
					}
					for _, cp := range page.CommonPrefixes {
						got = append(got, aws.ToString(cp.Prefix))
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.want) || pages != wantPages {
					t.Errorf("got %q in %d pages, want %q in %d", got, pages, tt.want, wantPages)
				}
			})
			t.Run(name+",v1", func(t *testing.T) {
				var got []string
				in := &s3.ListObjectsInput{
					Bucket: aws.String("tree"), Prefix: aws.String(tt.prefix),
					Delimiter: aws.String(tt.delimiter), MaxKeys: aws.Int32(maxKeys),
				}
				pages := 1
				for ; ; pages++ {
					if pages > 20 {
						t.Fatal("more than 20 pages")
					}
					page, err := c.ListObjects(ctx, in)
					if err != nil {
						t.Fatalf("ListObjects: %v", err)
					}
					var last string
					for _, o := range page.Contents {
						got = append(got, aws.ToString(o.Key))
						last = aws.ToString(o.Key)
					}
					for _, cp := range page.CommonPrefixes {
						got = append(got, aws.ToString(cp.Prefix))
					}
					if !aws.ToBool(page.IsTruncated) {
						break
					}
					// Without a delimiter S3 gives no NextMarker: the last
					// key is the marker.
					in.Marker = page.NextMarker
					if in.Marker == nil {
						in.Marker = &last
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.want) || pages != wantPages {
					t.Errorf("got %q in %d pages, want %q in %d", got, pages, tt.want, wantPages)
				}
			})
		}
	}
}

// TestReplaceAndCopy checks that replacing an object frees its old content
// and that a copy has content of its own.
func TestReplaceAndCopy(t *testing.T) {
	ctx := context.Background()
	srv, store := MustServer(t, false)
	c := MustClient(t, srv)
	MustCreateBucket(t, c, "src")
	MustCreateBucket(t, c, "dst")

	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("src"), Key: aws.String("k"), Body: strings.NewReader("first"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"origin": "test"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	first := MustBlobID(t, store, "src", "k")
	MustPut(t, c, "src", "k", []byte("second"))
	if blobExists(t, store, first) {
		t.Errorf("blob %s of a replaced object is still there", first)
	}

	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("src"), Key: aws.String("typed"), Body: strings.NewReader("third"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"origin": "test"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("src/typed"),
	})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if got := MustGet(t, c, "dst", "copy"); string(got) != "third" {
		t.Errorf("copied content: got %q, want %q", got, "third")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToString(head.ContentType) != "text/plain" || head.Metadata["origin"] != "test" {
		t.Errorf("copied metadata: got type %q and %v, want text/plain and origin=test",
			aws.ToString(head.ContentType), head.Metadata)
	}

	// The copy has content of its own; deleting the source leaves it whole.
	src, dst := MustBlobID(t, store, "src", "typed"), MustBlobID(t, store, "dst", "copy")
	if src == dst {
		t.Fatalf("source and copy share blob %s", src)
	}
	deleteSrc := &s3.DeleteObjectInput{Bucket: aws.String("src"), Key: aws.String("typed")}
	if _, err := c.DeleteObject(ctx, deleteSrc); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if got := MustGet(t, c, "dst", "copy"); string(got) != "third" {
		t.Errorf("copy after deleting its source: got %q, want %q", got, "third")
	}
	if blobExists(t, store, src) || !blobExists(t, store, dst) {
		t.Errorf("after deleting the source: got blobs %s %v and %s %v, want only the copy's",
			src, blobExists(t, store, src), dst, blobExists(t, store, dst))
	}
}

// TestTrailingChecksums puts unseekable bodies over TLS, where the SDK
// sends them aws-chunked with the checksum in a trailer.
func TestTrailingChecksums(t *testing.T) {
	ctx := context.Background()
	srv, _ := MustServer(t, true)
	content := randomBytes(200<<10+3, 2)

	// Record how the SDK sends the content.
	var payloads []string
	h := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			payloads = append(payloads, r.Header.Get("X-Amz-Content-Sha256")+" "+r.Header.Get("X-Amz-Trailer"))
		}
		h.ServeHTTP(w, r)
	})
	c := MustClient(t, srv)
	MustCreateBucket(t, c, "chunked")

	for _, alg := range []types.ChecksumAlgorithm{
		types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme,
		types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256,
	} {
		t.Run(string(alg), func(t *testing.T) {
			key := "obj-" + string(alg)
			_, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("chunked"), Key: aws.String(key),
				Body:              struct{ io.Reader }{bytes.NewReader(content)}, // hides Seek
				ContentLength:     aws.Int64(int64(len(content))),
				ChecksumAlgorithm: alg,
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if got := MustGet(t, c, "chunked", key); !bytes.Equal(got, content) {
				t.Errorf("got %d bytes that differ from the %d put", len(got), len(content))
			}
			want := "STREAMING-UNSIGNED-PAYLOAD-TRAILER x-amz-checksum-" + strings.ToLower(string(alg))
			if len(payloads) == 0 || payloads[len(payloads)-1] != want {
				t.Errorf("the SDK sent %q, want %q", payloads, want)
			}
		})
	}
}

// TestMultipartUpload uploads 12 MiB in three parts with the SDK's transfer
// manager, over HTTP (checksums in headers) and HTTPS (in trailers).
func TestMultipartUpload(t *testing.T) {
	content := randomBytes(12<<20+5, 3)
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			srv, _ := MustServer(t, tls)
			c := MustClient(t, srv)
			MustCreateBucket(t, c, "plugins")

			tm := transfermanager.New(c, func(o *transfermanager.Options) {
				o.PartSizeBytes = 5 << 20
				o.MultipartUploadThreshold = 5 << 20
				o.Concurrency = 2
			})
			out, err := tm.UploadObject(context.Background(), &transfermanager.UploadObjectInput{
				Bucket: aws.String("plugins"), Key: aws.String("analysis/plugin.zip"),
				Body: bytes.NewReader(content),
			})
			if err != nil {
				t.Fatalf("UploadObject: %v", err)
			}
			if aws.ToString(out.UploadID) == "" || !strings.HasSuffix(aws.ToString(out.ETag), `-3"`) {
				t.Errorf("UploadObject: got upload ID %q and ETag %s, want a multipart upload of 3 parts",
					aws.ToString(out.UploadID), aws.ToString(out.ETag))
			}

			if got := MustGet(t, c, "plugins", "analysis/plugin.zip"); !bytes.Equal(got, content) {
				t.Errorf("got %d bytes that differ from the %d uploaded", len(got), len(content))
			}
		})
	}
}
