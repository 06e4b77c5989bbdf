//go:build !flowbb_debug

package flowbb

// maybeGC does nothing unless built with -tags flowbb_debug.
func maybeGC() {}
