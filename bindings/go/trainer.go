package flowbb

/*
#include <stdlib.h>
#include "flowbb.h"

// Defined in progress.go; its prototype there takes a non-const pointer.
bool flowbbGoProgress(void *userdata, flowbb_step_info *info);
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"unsafe"
)

// StepInfo is what one training step did.
type StepInfo struct {
	// Step counts the steps done so far, this one included.
	Step uint64
	// TrainBPD is the loss of the step in bits per dimension.
	TrainBPD     float64
	LearningRate float64
	// GradNorm is the global gradient norm before clipping.
	GradNorm     float64
	ImagesPerSec float64
	// Skipped is true when a loss or gradient was not finite.
	Skipped bool
}

func stepInfo(s *C.flowbb_step_info) StepInfo {
	return StepInfo{
		Step: uint64(s.step), TrainBPD: float64(s.train_bpd),
		LearningRate: float64(s.learning_rate), GradNorm: float64(s.grad_norm),
		ImagesPerSec: float64(s.images_per_sec), Skipped: bool(s.skipped),
	}
}

// Trainer fits a model's weights to images. Use it from one goroutine at a
// time. Call Close when done with it.
type Trainer struct {
	p *C.flowbb_trainer
}

func newTrainer(p *C.flowbb_trainer) *Trainer {
	t := &Trainer{p: p}
	runtime.SetFinalizer(t, (*Trainer).Close)
	return t
}

func (t *Trainer) ptr() *C.flowbb_trainer {
	if t.p == nil {
		panic("flowbb: Trainer used after Close")
	}
	maybeGC()
	return t.p
}

// Close frees the trainer. Closing twice is harmless.
func (t *Trainer) Close() {
	if t.p != nil {
		C.flowbb_trainer_free(t.p)
		t.p = nil
		runtime.SetFinalizer(t, nil)
	}
}

// NewTrainer starts training from the weights of model with the settings
// in configJSON (fields override the defaults; "" keeps them all).
func NewTrainer(model *Model, configJSON string) (*Trainer, error) {
	var cs *C.char
	if configJSON != "" {
		cs = C.CString(configJSON)
		defer C.free(unsafe.Pointer(cs))
	}
	var p *C.flowbb_trainer
	var cerr *C.flowbb_error
	err := check(C.flowbb_trainer_new(model.ptr(), cs, &p, &cerr), cerr)
	keep(model)
	if err != nil {
		return nil, err
	}
	return newTrainer(p), nil
}

// LoadCheckpoint resumes training from a checkpoint file.
func LoadCheckpoint(path string) (*Trainer, error) {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	var p *C.flowbb_trainer
	var cerr *C.flowbb_error
	if err := check(C.flowbb_trainer_load_checkpoint(cs, &p, &cerr), cerr); err != nil {
		return nil, err
	}
	return newTrainer(p), nil
}

// AddImages adds training images.
func (t *Trainer) AddImages(images []Image) error {
	views, n, free, err := cImages(images)
	if err != nil {
		return err
	}
	defer free()
	var cerr *C.flowbb_error
	err = check(C.flowbb_trainer_add_images(t.ptr(), views, n, &cerr), cerr)
	keep(t)
	return err
}

// AddTestImages adds the images Evaluate measures the model on.
func (t *Trainer) AddTestImages(images []Image) error {
	views, n, free, err := cImages(images)
	if err != nil {
		return err
	}
	defer free()
	var cerr *C.flowbb_error
	err = check(C.flowbb_trainer_add_test_images(t.ptr(), views, n, &cerr), cerr)
	keep(t)
	return err
}

// AddFolder adds every image file of a folder as training images.
func (t *Trainer) AddFolder(path string) error {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	var cerr *C.flowbb_error
	err := check(C.flowbb_trainer_add_folder(t.ptr(), cs, &cerr), cerr)
	keep(t)
	return err
}

// Step runs steps training steps. progress, when not nil, is called after
// each step and returns whether to go on; when it returns false, Step
// returns an error matching StatusCancelled (the steps done are kept).
// Step returns what the last step did.
func (t *Trainer) Step(steps uint64, progress func(StepInfo) bool) (StepInfo, error) {
	var last C.flowbb_step_info
	var cerr *C.flowbb_error
	var status C.flowbb_status
	if progress == nil {
		status = C.flowbb_trainer_step(t.ptr(), C.uint64_t(steps), nil, nil, &last, &cerr)
	} else {
		// C keeps only an integer naming the Go function, in C memory.
		h := cgo.NewHandle(progress)
		defer h.Delete()
		slot := (*C.uintptr_t)(C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0)))))
		defer C.free(unsafe.Pointer(slot))
		*slot = C.uintptr_t(h)
		status = C.flowbb_trainer_step(t.ptr(), C.uint64_t(steps),
			C.flowbb_progress_fn(unsafe.Pointer(C.flowbbGoProgress)), unsafe.Pointer(slot), &last, &cerr)
	}
	keep(t)
	return stepInfo(&last), check(status, cerr)
}

// StepsDone is the number of training steps done so far.
func (t *Trainer) StepsDone() uint64 {
	n := uint64(C.flowbb_trainer_steps_done(t.ptr()))
	keep(t)
	return n
}

// Evaluate returns the model's mean codelength bound on the test images, in
// bits per dimension, with the averaged (EMA) weights.
func (t *Trainer) Evaluate() (float64, error) {
	var bpd C.double
	var cerr *C.flowbb_error
	err := check(C.flowbb_trainer_evaluate(t.ptr(), &bpd, &cerr), cerr)
	keep(t)
	return float64(bpd), err
}

// SaveCheckpoint writes a checkpoint that LoadCheckpoint resumes from.
func (t *Trainer) SaveCheckpoint(path string) error {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	var cerr *C.flowbb_error
	err := check(C.flowbb_trainer_save_checkpoint(t.ptr(), cs, &cerr), cerr)
	keep(t)
	return err
}

// ExportModel returns a model holding the averaged (EMA) weights.
func (t *Trainer) ExportModel() (*Model, error) {
	var p *C.flowbb_model
	var cerr *C.flowbb_error
	err := check(C.flowbb_trainer_export_model(t.ptr(), &p, &cerr), cerr)
	keep(t)
	if err != nil {
		return nil, err
	}
	return newModel(p), nil
}
