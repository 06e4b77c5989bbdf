package flowbb

/*
#include <stdlib.h>
#include "flowbb.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// CoderOptions are the settings of a coder. Zero fields keep the library's
// defaults (sigma = 2^-14, delta = 2^-32, 16 streams, 64 tiles per batch,
// CPU); Seed 0 is a seed like any other.
type CoderOptions struct {
	// SigmaLog2 sets the noise scale sigma = 2^SigmaLog2 (-30..-1).
	SigmaLog2 int32
	// DeltaLog2 sets the bin width delta = 2^DeltaLog2 (-32..-1).
	DeltaLog2 int32
	// Streams is the number of parallel rANS streams.
	Streams uint32
	// BatchSize is the number of tiles per network batch.
	BatchSize uint32
	// Seed seeds the initial bits.
	Seed uint64
	// Device is "cpu", "cuda" or "cuda:N".
	Device string
	// ChunkImages starts an independent chunk every this many images;
	// 0 codes all images in one bits-back chain.
	ChunkImages uint32
	// BlackBox selects the black-box algorithm (the whole flow's Jacobian
	// at once) instead of the compositional one.
	BlackBox bool
}

// CompressStats are the codelengths of a compression (see
// flowbb_compress_stats in flowbb.h).
type CompressStats struct {
	Images, Dims, ArchiveBytes uint64
	NetBits                    float64
	InitialBits                uint64
	BPD, InitialBPD, TotalBPD  float64
	ModelBPD, Seconds          float64
}

// ArchiveInfo is what an archive holds, read without decoding.
type ArchiveInfo struct {
	Images, Dims, ArchiveBytes          uint64
	TotalBPD                            float64
	ModelFingerprint                    uint64
	SigmaLog2, DeltaLog2                int32
	Streams                             uint32
	TileChannels, TileHeight, TileWidth uint32
}

// Coder compresses images into archives and back with one model. Use it
// from one goroutine at a time. Call Close when done with it.
type Coder struct {
	p *C.flowbb_coder
}

func (c *Coder) ptr() *C.flowbb_coder {
	if c.p == nil {
		panic("flowbb: Coder used after Close")
	}
	maybeGC()
	return c.p
}

// Close frees the coder. Closing twice is harmless.
func (c *Coder) Close() {
	if c.p != nil {
		C.flowbb_coder_free(c.p)
		c.p = nil
		runtime.SetFinalizer(c, nil)
	}
}

// NewCoder makes a coder for model; opts may be nil for the defaults.
func NewCoder(model *Model, opts *CoderOptions) (*Coder, error) {
	var o *C.flowbb_coder_options
	if opts != nil {
		var err error
		if o, err = opts.build(); err != nil {
			return nil, err
		}
		defer C.flowbb_coder_options_free(o)
	}
	var p *C.flowbb_coder
	var cerr *C.flowbb_error
	err := check(C.flowbb_coder_new(model.ptr(), o, &p, &cerr), cerr)
	keep(model)
	if err != nil {
		return nil, err
	}
	c := &Coder{p: p}
	runtime.SetFinalizer(c, (*Coder).Close)
	return c, nil
}

// build makes C options from o, checking each value.
func (o *CoderOptions) build() (*C.flowbb_coder_options, error) {
	p := C.flowbb_coder_options_new()
	if p == nil {
		return nil, &Error{Status: StatusPanic, Message: "cannot allocate coder options"}
	}
	var cerr *C.flowbb_error
	steps := []func() C.flowbb_status{
		func() C.flowbb_status {
			if o.SigmaLog2 == 0 {
				return C.FLOWBB_OK
			}
			return C.flowbb_coder_options_set_sigma_log2(p, C.int32_t(o.SigmaLog2), &cerr)
		},
		func() C.flowbb_status {
			if o.DeltaLog2 == 0 {
				return C.FLOWBB_OK
			}
			return C.flowbb_coder_options_set_delta_log2(p, C.int32_t(o.DeltaLog2), &cerr)
		},
		func() C.flowbb_status {
			if o.Streams == 0 {
				return C.FLOWBB_OK
			}
			return C.flowbb_coder_options_set_streams(p, C.uint32_t(o.Streams), &cerr)
		},
		func() C.flowbb_status {
			if o.BatchSize == 0 {
				return C.FLOWBB_OK
			}
			return C.flowbb_coder_options_set_batch_size(p, C.uint32_t(o.BatchSize), &cerr)
		},
		func() C.flowbb_status {
			return C.flowbb_coder_options_set_seed(p, C.uint64_t(o.Seed), &cerr)
		},
		func() C.flowbb_status {
			return C.flowbb_coder_options_set_chunk(p, C.uint32_t(o.ChunkImages), &cerr)
		},
		func() C.flowbb_status {
			if !o.BlackBox {
				return C.FLOWBB_OK
			}
			return C.flowbb_coder_options_set_algorithm(p, C.FLOWBB_ALGORITHM_BLACK_BOX, &cerr)
		},
		func() C.flowbb_status {
			if o.Device == "" {
				return C.FLOWBB_OK
			}
			cs := C.CString(o.Device)
			defer C.free(unsafe.Pointer(cs))
			return C.flowbb_coder_options_set_device(p, cs, &cerr)
		},
	}
	for _, step := range steps {
		if err := check(step(), cerr); err != nil {
			C.flowbb_coder_options_free(p)
			return nil, err
		}
	}
	return p, nil
}

// Compress compresses images into an archive.
func (c *Coder) Compress(images []Image) ([]byte, CompressStats, error) {
	views, n, free, err := cImages(images)
	if err != nil {
		return nil, CompressStats{}, err
	}
	defer free()
	var b C.flowbb_bytes
	var s C.flowbb_compress_stats
	var cerr *C.flowbb_error
	err = check(C.flowbb_coder_compress_alloc(c.ptr(), views, n, &b, &s, &cerr), cerr)
	keep(c)
	if err != nil {
		return nil, CompressStats{}, err
	}
	stats := CompressStats{
		Images: uint64(s.images), Dims: uint64(s.dims),
		ArchiveBytes: uint64(s.archive_bytes), NetBits: float64(s.net_bits),
		InitialBits: uint64(s.initial_bits), BPD: float64(s.bpd),
		InitialBPD: float64(s.initial_bpd), TotalBPD: float64(s.total_bpd),
		ModelBPD: float64(s.model_bpd), Seconds: float64(s.seconds),
	}
	return goBytes(&b), stats, nil
}

// Decompress decodes an archive made with this coder's model.
func (c *Coder) Decompress(archive []byte) ([]Image, error) {
	cd, n := cBytes(archive)
	defer C.free(unsafe.Pointer(cd))
	var list *C.flowbb_image_list
	var cerr *C.flowbb_error
	err := check(C.flowbb_coder_decompress(c.ptr(), cd, n, &list, &cerr), cerr)
	keep(c)
	if err != nil {
		return nil, err
	}
	return goImages(list)
}

// ReadArchiveInfo reads what an archive holds without decoding it.
func ReadArchiveInfo(archive []byte) (ArchiveInfo, error) {
	cd, n := cBytes(archive)
	defer C.free(unsafe.Pointer(cd))
	var i C.flowbb_archive_info
	var cerr *C.flowbb_error
	if err := check(C.flowbb_archive_info_read(cd, n, &i, &cerr), cerr); err != nil {
		return ArchiveInfo{}, err
	}
	return ArchiveInfo{
		Images: uint64(i.images), Dims: uint64(i.dims),
		ArchiveBytes: uint64(i.archive_bytes), TotalBPD: float64(i.total_bpd),
		ModelFingerprint: uint64(i.model_fingerprint),
		SigmaLog2:        int32(i.sigma_log2), DeltaLog2: int32(i.delta_log2),
		Streams:      uint32(i.streams),
		TileChannels: uint32(i.tile_channels), TileHeight: uint32(i.tile_height),
		TileWidth: uint32(i.tile_width),
	}, nil
}
