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

// Model is a Flow++ model. Its methods may be called from several
// goroutines at once. Call Close when done with it.
type Model struct {
	p *C.flowbb_model
}

func newModel(p *C.flowbb_model) *Model {
	m := &Model{p: p}
	runtime.SetFinalizer(m, (*Model).Close)
	return m
}

func (m *Model) ptr() *C.flowbb_model {
	if m.p == nil {
		panic("flowbb: Model used after Close")
	}
	maybeGC()
	return m.p
}

// Close frees the model. Coders made from it keep working. Closing twice is
// harmless.
func (m *Model) Close() {
	if m.p != nil {
		C.flowbb_model_free(m.p)
		m.p = nil
		runtime.SetFinalizer(m, nil)
	}
}

// NewModel makes a model with freshly initialised weights drawn from seed;
// config is a preset name ("tiny", "small", "cifar") or configuration JSON.
func NewModel(config string, seed uint64) (*Model, error) {
	cs := C.CString(config)
	defer C.free(unsafe.Pointer(cs))
	var p *C.flowbb_model
	var cerr *C.flowbb_error
	if err := check(C.flowbb_model_new(cs, C.uint64_t(seed), &p, &cerr), cerr); err != nil {
		return nil, err
	}
	return newModel(p), nil
}

// DefaultModel returns the model built into the library (3x32x32 tiles).
func DefaultModel() (*Model, error) {
	var p *C.flowbb_model
	var cerr *C.flowbb_error
	if err := check(C.flowbb_model_default(&p, &cerr), cerr); err != nil {
		return nil, err
	}
	return newModel(p), nil
}

// LoadModel reads a model file.
func LoadModel(path string) (*Model, error) {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	var p *C.flowbb_model
	var cerr *C.flowbb_error
	if err := check(C.flowbb_model_load(cs, &p, &cerr), cerr); err != nil {
		return nil, err
	}
	return newModel(p), nil
}

// ModelFromBytes reads a model from the bytes of a model file.
func ModelFromBytes(data []byte) (*Model, error) {
	cd, n := cBytes(data)
	defer C.free(unsafe.Pointer(cd))
	var p *C.flowbb_model
	var cerr *C.flowbb_error
	if err := check(C.flowbb_model_from_bytes(cd, n, &p, &cerr), cerr); err != nil {
		return nil, err
	}
	return newModel(p), nil
}

// Save writes the model to a file.
func (m *Model) Save(path string) error {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	var cerr *C.flowbb_error
	err := check(C.flowbb_model_save(m.ptr(), cs, &cerr), cerr)
	keep(m)
	return err
}

// Bytes returns the model file as bytes.
func (m *Model) Bytes() ([]byte, error) {
	var b C.flowbb_bytes
	var cerr *C.flowbb_error
	err := check(C.flowbb_model_to_bytes(m.ptr(), &b, &cerr), cerr)
	keep(m)
	if err != nil {
		return nil, err
	}
	return goBytes(&b), nil
}

// ConfigJSON returns the model's configuration as JSON.
func (m *Model) ConfigJSON() (string, error) {
	var needed C.size_t
	var cerr *C.flowbb_error
	status := C.flowbb_model_config_json(m.ptr(), nil, 0, &needed, &cerr)
	if status != C.FLOWBB_BUFFER_TOO_SMALL {
		keep(m)
		return "", check(status, cerr)
	}
	C.flowbb_error_free(cerr)
	cerr = nil
	buf := (*C.char)(C.malloc(needed))
	defer C.free(unsafe.Pointer(buf))
	err := check(C.flowbb_model_config_json(m.ptr(), buf, needed, &needed, &cerr), cerr)
	keep(m)
	if err != nil {
		return "", err
	}
	return C.GoString(buf), nil
}

// TileShape returns the shape of the tiles the model works on.
func (m *Model) TileShape() (channels, height, width int, err error) {
	var c, h, w C.uint32_t
	var cerr *C.flowbb_error
	err = check(C.flowbb_model_tile_shape(m.ptr(), &c, &h, &w, &cerr), cerr)
	keep(m)
	return int(c), int(h), int(w), err
}

// BPD returns the model's mean codelength bound, in bits per dimension, for
// images of its tile shape.
func (m *Model) BPD(images []Image) (float64, error) {
	views, n, free, err := cImages(images)
	if err != nil {
		return 0, err
	}
	defer free()
	var out C.double
	var cerr *C.flowbb_error
	err = check(C.flowbb_model_bpd(m.ptr(), views, n, &out, &cerr), cerr)
	keep(m)
	return float64(out), err
}

// Sample draws count images from the model at temperature.
func (m *Model) Sample(count int, temperature float64) ([]Image, error) {
	if count < 0 {
		count = 0
	}
	var list *C.flowbb_image_list
	var cerr *C.flowbb_error
	err := check(C.flowbb_model_sample(m.ptr(), C.size_t(count), C.double(temperature), &list, &cerr), cerr)
	keep(m)
	if err != nil {
		return nil, err
	}
	return goImages(list)
}
