package flowbb

/*
#include "flowbb.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// flowbbGoProgress is the C progress callback of Trainer.Step: userdata
// points to the cgo.Handle of the Go function to call.
//
//export flowbbGoProgress
func flowbbGoProgress(userdata unsafe.Pointer, info *C.flowbb_step_info) C.bool {
	h := cgo.Handle(*(*C.uintptr_t)(userdata))
	progress := h.Value().(func(StepInfo) bool)
	return C.bool(progress(stepInfo(info)))
}
