package flowbb

/*
#include "flowbb.h"
*/
import "C"

// C_status converts a Status for tests of check (cgo is not allowed in _test
// files).
func C_status(s Status) C.flowbb_status {
	return C.flowbb_status(s)
}
