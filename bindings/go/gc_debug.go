//go:build flowbb_debug

package flowbb

import "runtime"

// maybeGC runs the garbage collector before each use of a handle when built
// with -tags flowbb_debug, so that a missing runtime.KeepAlive (a finalizer
// freeing a handle during a call) shows up in tests.
func maybeGC() { runtime.GC() }
