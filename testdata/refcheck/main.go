// refcheck drives the reference Go eStargz library (github.com/containerd/stargz-snapshotter/estargz) so that the
// Java implementation can be checked against it. It is test tooling for jstargz, built by the JUnit tests.
//
//	refcheck list BLOB [TOC_DIGEST]   open BLOB with estargz.Open, verify the TOC digest (if given) and every chunk
//	                                  with the reference verifier, print the TOC digest, then one JSON line per entry
//	refcheck build TAR OUT CHUNK_SIZE LEVEL [PRIORITIZED...]
//	                                  build an eStargz blob with estargz.Build and print its digests as JSON
//	refcheck build-zstd TAR OUT CHUNK_SIZE LEVEL [PRIORITIZED...]
//	                                  the same as zstd:chunked, as ctr-remote --zstdchunked builds it (LEVEL is a
//	                                  zstd level), printing its zstd:chunked annotations too
//
// Blobs are opened with the gzip decompressors and the zstd:chunked one, as the reference snapshotter opens them.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"

	"github.com/containerd/stargz-snapshotter/estargz"
	"github.com/containerd/stargz-snapshotter/estargz/zstdchunked"
	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
)

type listing struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Size     int64             `json:"size,omitempty"`
	Mode     int64             `json:"mode"`
	UID      int               `json:"uid"`
	GID      int               `json:"gid"`
	LinkName string            `json:"linkName,omitempty"`
	NumLink  int               `json:"numLink"`
	Xattrs   map[string]string `json:"xattrs,omitempty"`
	SHA256   string            `json:"sha256,omitempty"`
	Chunks   int               `json:"chunks,omitempty"`
	DevMajor int               `json:"devMajor,omitempty"`
	DevMinor int               `json:"devMinor,omitempty"`
}

func main() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: refcheck list BLOB [TOC_DIGEST] | refcheck build|build-zstd TAR OUT CHUNK_SIZE LEVEL [PRIORITIZED...]"))
	}
	var err error
	switch os.Args[1] {
	case "list":
		err = list(os.Args[2:])
	case "build":
		err = build(os.Args[2:], false)
	case "build-zstd":
		err = build(os.Args[2:], true)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "refcheck:", err)
	os.Exit(1)
}

func list(args []string) error {
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	r, err := estargz.Open(io.NewSectionReader(f, 0, st.Size()), estargz.WithDecompressors(new(zstdchunked.Decompressor)))
	if err != nil {
		return err
	}
	want := r.TOCDigest()
	if len(args) > 1 {
		want = digest.Digest(args[1])
	}
	verifiers, err := r.VerifyTOC(want)
	if err != nil {
		return err
	}
	fmt.Println(r.TOCDigest())
	root, ok := r.Lookup("")
	if !ok {
		return fmt.Errorf("no root directory")
	}
	enc := json.NewEncoder(os.Stdout)
	return walk(r, verifiers, root, "", enc)
}

func walk(r *estargz.Reader, v estargz.TOCEntryVerifier, dir *estargz.TOCEntry, dirPath string, enc *json.Encoder) error {
	var names []string
	dir.ForeachChild(func(name string, _ *estargz.TOCEntry) bool {
		names = append(names, name)
		return true
	})
	sort.Strings(names)
	for _, name := range names {
		e, _ := dir.LookupChild(name)
		p := path.Join(dirPath, name)
		l := listing{Name: p, Type: e.Type, Size: e.Size, Mode: e.Mode, UID: e.UID, GID: e.GID, LinkName: e.LinkName,
			NumLink: e.NumLink, DevMajor: e.DevMajor, DevMinor: e.DevMinor}
		if len(e.Xattrs) > 0 {
			l.Xattrs = map[string]string{}
			for k, x := range e.Xattrs {
				l.Xattrs[k] = string(x)
			}
		}
		if e.Type == "reg" {
			// e is the hardlink's target, so read the content under the target's own name
			sum, chunks, err := readVerified(r, v, e.Name, e.Size)
			if err != nil {
				return err
			}
			l.SHA256, l.Chunks = sum, chunks
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
		if e.Type == "dir" {
			if err := walk(r, v, e, p, enc); err != nil {
				return err
			}
		}
	}
	return nil
}

// readVerified reads a file chunk by chunk, checking each chunk with the reference verifier.
func readVerified(r *estargz.Reader, v estargz.TOCEntryVerifier, name string, size int64) (string, int, error) {
	sr, err := r.OpenFile(name)
	if err != nil {
		return "", 0, err
	}
	whole := sha256.New()
	chunks := 0
	for off := int64(0); off < size; {
		ce, ok := r.ChunkEntryForOffset(name, off)
		if !ok {
			return "", 0, fmt.Errorf("%s: no chunk at offset %d", name, off)
		}
		buf := make([]byte, ce.ChunkSize)
		if _, err := sr.ReadAt(buf, ce.ChunkOffset); err != nil {
			return "", 0, fmt.Errorf("%s: reading chunk at %d: %v", name, ce.ChunkOffset, err)
		}
		cv, err := v.Verifier(ce)
		if err != nil {
			return "", 0, fmt.Errorf("%s: %v", name, err)
		}
		cv.Write(buf)
		if !cv.Verified() {
			return "", 0, fmt.Errorf("%s: chunk at offset %d does not match its digest", name, ce.ChunkOffset)
		}
		whole.Write(buf)
		off = ce.ChunkOffset + ce.ChunkSize
		chunks++
	}
	return hex.EncodeToString(whole.Sum(nil)), chunks, nil
}

type zstdCompression struct {
	*zstdchunked.Decompressor
	*zstdchunked.Compressor
}

func build(args []string, zstdChunked bool) error {
	if len(args) < 4 {
		return fmt.Errorf("build needs TAR OUT CHUNK_SIZE LEVEL [PRIORITIZED...]")
	}
	in, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	chunkSize, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	level, err := strconv.Atoi(args[3])
	if err != nil {
		return err
	}
	var missed []string
	opts := []estargz.Option{estargz.WithChunkSize(chunkSize), estargz.WithCompressionLevel(level),
		estargz.WithAllowPrioritizeNotFound(&missed)}
	if len(args) > 4 {
		opts = append(opts, estargz.WithPrioritizedFiles(args[4:]))
	}
	metadata := make(map[string]string)
	if zstdChunked {
		opts = append(opts, estargz.WithCompression(&zstdCompression{new(zstdchunked.Decompressor),
			&zstdchunked.Compressor{CompressionLevel: zstd.EncoderLevelFromZstd(level), Metadata: metadata}}))
	}
	blob, err := estargz.Build(io.NewSectionReader(in, 0, st.Size()), opts...)
	if err != nil {
		return err
	}
	defer blob.Close()
	out, err := os.Create(args[1])
	if err != nil {
		return err
	}
	defer out.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), blob)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"tocDigest":  blob.TOCDigest().String(),
		"diffID":     blob.DiffID().String(),
		"blobDigest": "sha256:" + hex.EncodeToString(h.Sum(nil)),
		"size":       n,
		"missed":     missed,
		"annotations": metadata,
	})
}
