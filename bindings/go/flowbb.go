// Package flowbb is the Go interface of libflowbb, lossless image compression
// with Flow++ normalizing flows and local bits-back coding.
//
// It calls the C library through cgo and links it through pkg-config
// (package "flowbb"): set PKG_CONFIG_PATH to the folder holding flowbb.pc of
// an installed libflowbb.
//
// Every type that holds a library object (Model, Coder, Trainer) has a Close
// method that frees it at once; call it when done, typically with defer. A
// finalizer frees objects that were never closed, but only when the garbage
// collector runs, which it does not schedule by the memory libflowbb holds.
// Using an object after Close panics.
//
// Failed calls return an *Error carrying a Status; errors.Is(err,
// flowbb.StatusCorrupt) and the like test for a kind of failure.
package flowbb

/*
#cgo pkg-config: flowbb
#include <stdlib.h>
#include "flowbb.h"
*/
import "C"

// Version is the version ("MAJOR.MINOR.PATCH") of the linked library.
func Version() string {
	return C.GoString(C.flowbb_version())
}

// ABIVersion is the binary interface version of the linked library.
func ABIVersion() uint32 {
	return uint32(C.flowbb_abi_version())
}

// HeaderABIVersion is the binary interface version of the header this
// package was compiled against; it equals ABIVersion() when both agree.
const HeaderABIVersion = uint32(C.FLOWBB_ABI_VERSION)
