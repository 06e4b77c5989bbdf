package flowbb

/*
#include "flowbb.h"
*/
import "C"

import "fmt"

// Status is the outcome of a libflowbb call, with the values of flowbb.h.
// A Status is itself an error, so that errors.Is(err, StatusCorrupt) tests
// what kind of failure an *Error is.
type Status int32

// The statuses of flowbb.h. Their values never change.
const (
	StatusOK               Status = C.FLOWBB_OK
	StatusNullArgument     Status = C.FLOWBB_NULL_ARGUMENT
	StatusInvalidArgument  Status = C.FLOWBB_INVALID_ARGUMENT
	StatusBufferTooSmall   Status = C.FLOWBB_BUFFER_TOO_SMALL
	StatusIO               Status = C.FLOWBB_IO
	StatusImage            Status = C.FLOWBB_IMAGE
	StatusCorrupt          Status = C.FLOWBB_CORRUPT
	StatusModelMismatch    Status = C.FLOWBB_MODEL_MISMATCH
	StatusNumericsMismatch Status = C.FLOWBB_NUMERICS_MISMATCH
	StatusUnsupported      Status = C.FLOWBB_UNSUPPORTED
	StatusTorch            Status = C.FLOWBB_TORCH
	StatusCancelled        Status = C.FLOWBB_CANCELLED
	StatusPanic            Status = C.FLOWBB_PANIC
)

// Error returns the library's short description of the status.
func (s Status) Error() string {
	return C.GoString(C.flowbb_status_str(C.int32_t(s)))
}

// Error is a failed libflowbb call: its status and the library's message,
// which names the file, image or field concerned.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("flowbb: %s", e.Message)
}

// Unwrap returns the status, so that errors.Is matches it.
func (e *Error) Unwrap() error {
	return e.Status
}

// check turns a status and its error object into a Go error, freeing the
// error object.
func check(status C.flowbb_status, cerr *C.flowbb_error) error {
	if status == C.FLOWBB_OK {
		return nil
	}
	e := &Error{Status: Status(status)}
	if cerr != nil {
		e.Message = C.GoString(C.flowbb_error_message(cerr))
		C.flowbb_error_free(cerr)
	} else {
		e.Message = Status(status).Error()
	}
	return e
}

// checkStatus is check for a status without an error object.
func checkStatus(s Status) error {
	return check(C.flowbb_status(s), nil)
}
