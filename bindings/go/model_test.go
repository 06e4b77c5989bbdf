package flowbb

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testImage is a deterministic image with smooth gradients and some noise.
func testImage(w, h, c int, seed uint32) Image {
	px := make([]byte, w*h*c)
	s := seed
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for k := 0; k < c; k++ {
				s = s*1664525 + 1013904223
				px[(y*w+x)*c+k] = byte(x*9 + y*5 + k*40 + int(s>>28))
			}
		}
	}
	return Image{Width: w, Height: h, Channels: c, Pixels: px}
}

// readPNM reads a binary PPM (P6) or PGM (P5) file with 8-bit samples.
func readPNM(path string) (Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Image{}, err
	}
	// The header is four blank-separated fields; '#' starts a comment that
	// runs to the end of its line. One blank follows the last field.
	var fields []string
	i := 0
	for len(fields) < 4 && i < len(data) {
		switch c := data[i]; {
		case c == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			j := i
			for j < len(data) && !strings.ContainsRune(" \t\n\r#", rune(data[j])) {
				j++
			}
			fields = append(fields, string(data[i:j]))
			i = j
		}
	}
	i++
	c := map[string]int{"P5": 1, "P6": 3}
	if len(fields) < 4 || c[fields[0]] == 0 || fields[3] != "255" {
		return Image{}, fmt.Errorf("%s: not a binary PGM/PPM with 8-bit samples", path)
	}
	w, errW := strconv.Atoi(fields[1])
	h, errH := strconv.Atoi(fields[2])
	n := w * h * c[fields[0]]
	if errW != nil || errH != nil || w < 1 || h < 1 || i+n > len(data) {
		return Image{}, fmt.Errorf("%s: bad size or truncated pixels", path)
	}
	return Image{Width: w, Height: h, Channels: c[fields[0]], Pixels: data[i : i+n]}, nil
}

func tinyModel(t *testing.T, seed uint64) *Model {
	t.Helper()
	m, err := NewModel("tiny", seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func roundTrip(t *testing.T, m *Model, images []Image) {
	t.Helper()
	c, err := NewCoder(m, &CoderOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	archive, stats, err := c.Compress(images)
	if err != nil {
		t.Fatal(err)
	}
	if stats.ArchiveBytes != uint64(len(archive)) || stats.Images != uint64(len(images)) {
		t.Fatalf("stats %+v for %d images in %d bytes", stats, len(images), len(archive))
	}
	got, err := c.Decompress(archive)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(images) {
		t.Fatalf("decoded %d images, compressed %d", len(got), len(images))
	}
	for i := range images {
		a, b := images[i], got[i]
		if a.Width != b.Width || a.Height != b.Height || a.Channels != b.Channels ||
			!bytes.Equal(a.Pixels, b.Pixels) {
			t.Fatalf("image %d differs after the round trip", i)
		}
	}
}

func TestRoundTripIsBitExact(t *testing.T) {
	m := tinyModel(t, 1)
	roundTrip(t, m, []Image{testImage(12, 10, 3, 1), testImage(9, 7, 1, 2)})
}

// FLOWBB_TEST_IMAGES names PPM/PGM files (separated by ':') to round-trip.
func TestRoundTripOfImageFiles(t *testing.T) {
	list := os.Getenv("FLOWBB_TEST_IMAGES")
	if list == "" {
		t.Skip("FLOWBB_TEST_IMAGES is not set")
	}
	m := tinyModel(t, 1)
	for _, path := range strings.Split(list, ":") {
		im, err := readPNM(path)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, m, []Image{im})
	}
}

func TestArchiveInfoDescribesTheArchive(t *testing.T) {
	m := tinyModel(t, 1)
	c, err := NewCoder(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	archive, _, err := c.Compress([]Image{testImage(8, 8, 3, 5)})
	if err != nil {
		t.Fatal(err)
	}
	info, err := ReadArchiveInfo(archive)
	if err != nil {
		t.Fatal(err)
	}
	if info.Images != 1 || info.Dims != 192 || info.ArchiveBytes != uint64(len(archive)) ||
		info.SigmaLog2 != -14 || info.DeltaLog2 != -32 || info.TileChannels != 3 {
		t.Fatalf("unexpected info %+v", info)
	}
}

func TestCorruptArchiveIsStatusCorrupt(t *testing.T) {
	m := tinyModel(t, 1)
	c, err := NewCoder(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	archive, _, err := c.Compress([]Image{testImage(8, 8, 3, 5)})
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"truncated": archive[:len(archive)/2],
		"empty":     {},
		"garbage":   []byte("not an archive at all"),
		"flipped":   append(append([]byte{}, archive[:len(archive)-3]...), archive[len(archive)-3]^0x40, 0, 0),
	} {
		_, err := c.Decompress(bad)
		if !errors.Is(err, StatusCorrupt) {
			t.Errorf("%s archive: got %v, want StatusCorrupt", name, err)
		}
	}
}

func TestArchiveOfAnotherModelIsModelMismatch(t *testing.T) {
	a, b := tinyModel(t, 1), tinyModel(t, 2)
	ca, err := NewCoder(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	cb, err := NewCoder(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	archive, _, err := ca.Compress([]Image{testImage(8, 8, 3, 5)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cb.Decompress(archive)
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusModelMismatch || !strings.Contains(e.Message, "model") {
		t.Fatalf("got %v, want StatusModelMismatch", err)
	}
}

func TestBadArgumentsAreReported(t *testing.T) {
	if _, err := NewModel("no-such-preset", 0); !errors.Is(err, StatusInvalidArgument) {
		t.Errorf("unknown preset: got %v", err)
	}
	if _, err := LoadModel(filepath.Join(t.TempDir(), "missing.model")); !errors.Is(err, StatusIO) {
		t.Errorf("missing model file: got %v", err)
	}
	if _, err := ModelFromBytes([]byte("junk")); !errors.Is(err, StatusCorrupt) {
		t.Errorf("junk model bytes: got %v", err)
	}
	m := tinyModel(t, 1)
	if _, err := NewCoder(m, &CoderOptions{SigmaLog2: 5}); !errors.Is(err, StatusInvalidArgument) {
		t.Errorf("sigma 2^5: got %v", err)
	}
	if _, err := NewCoder(m, &CoderOptions{Device: "tpu"}); !errors.Is(err, StatusInvalidArgument) {
		t.Errorf("device tpu: got %v", err)
	}
	c, err := NewCoder(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.Compress(nil); !errors.Is(err, StatusInvalidArgument) {
		t.Errorf("no images: got %v", err)
	}
	short := testImage(4, 4, 3, 1)
	short.Pixels = short.Pixels[:10]
	if _, _, err := c.Compress([]Image{short}); !errors.Is(err, StatusInvalidArgument) {
		t.Errorf("short pixel buffer: got %v", err)
	}
	if _, _, err := c.Compress([]Image{testImage(4, 4, 2, 1)}); err == nil {
		t.Errorf("two-channel image accepted")
	}
}

func TestModelSurvivesBytesAndFiles(t *testing.T) {
	m := tinyModel(t, 4)
	want, err := m.ConfigJSON()
	if err != nil || !strings.Contains(want, "tiny") {
		t.Fatalf("config %q, %v", want, err)
	}
	data, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := ModelFromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	path := filepath.Join(t.TempDir(), "tiny.model")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	m3, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m3.Close()
	for _, other := range []*Model{m2, m3} {
		got, err := other.ConfigJSON()
		if err != nil || got != want {
			t.Fatalf("config after reload %q, %v", got, err)
		}
	}
	// An archive made with the reloaded model decodes with the original.
	c3, err := NewCoder(m3, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	c1, err := NewCoder(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	im := testImage(8, 8, 3, 9)
	archive, _, err := c3.Compress([]Image{im})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c1.Decompress(archive)
	if err != nil || !bytes.Equal(got[0].Pixels, im.Pixels) {
		t.Fatalf("cross-model round trip: %v", err)
	}
}

func TestModelIsUsableFromManyGoroutines(t *testing.T) {
	m := tinyModel(t, 1)
	c, h, w, err := m.TileShape()
	if err != nil || c != 3 || h != 8 || w != 8 {
		t.Fatalf("tile shape %d %d %d, %v", c, h, w, err)
	}
	im := testImage(8, 8, 3, 1)
	want, err := m.BPD([]Image{im})
	if err != nil || want <= 0 {
		t.Fatalf("bpd %v, %v", want, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				if _, err := m.ConfigJSON(); err != nil {
					errs <- err
					return
				}
				if _, err := m.BPD([]Image{im}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestSampleGivesImagesOfTheTileShape(t *testing.T) {
	m := tinyModel(t, 1)
	images, err := m.Sample(3, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 3 || images[0].Width != 8 || images[0].Height != 8 ||
		images[0].Channels != 3 || len(images[0].Pixels) != 192 {
		t.Fatalf("samples %d, first %dx%dx%d", len(images), images[0].Width,
			images[0].Height, images[0].Channels)
	}
	if _, err := m.Sample(0, 1); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("zero samples: %v", err)
	}
}

func TestCloseIsIdempotentAndUseAfterClosePanics(t *testing.T) {
	m, err := NewModel("tiny", 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	m.Close()
	defer func() {
		if recover() == nil {
			t.Fatal("using a closed model did not panic")
		}
	}()
	_, _ = m.ConfigJSON()
}

// Handles that are never closed are freed by their finalizers; run with
// GOGC=1 and -tags flowbb_debug, this also shakes out handles freed while
// a call still uses them.
func TestUnclosedHandlesAreFinalized(t *testing.T) {
	for i := 0; i < 20; i++ {
		m, err := NewModel("tiny", uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.ConfigJSON(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDefaultModelCodesWithChunks(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, h, w, err := m.TileShape()
	if err != nil || c != 3 || h != 32 || w != 32 {
		t.Fatalf("default tile shape %d %d %d, %v", c, h, w, err)
	}
	coder, err := NewCoder(m, &CoderOptions{ChunkImages: 1, Streams: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer coder.Close()
	images := []Image{testImage(20, 12, 3, 1), testImage(7, 5, 1, 2)}
	archive, stats, err := coder.Compress(images)
	if err != nil {
		t.Fatal(err)
	}
	got, err := coder.Decompress(archive)
	if err != nil || len(got) != 2 || !bytes.Equal(got[0].Pixels, images[0].Pixels) ||
		!bytes.Equal(got[1].Pixels, images[1].Pixels) {
		t.Fatalf("default-model round trip: %v", err)
	}
	if stats.Images != 2 || stats.BPD <= 0 || stats.ModelBPD <= 0 {
		t.Fatalf("stats %+v", stats)
	}
}
