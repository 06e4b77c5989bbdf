package flowbb

import (
	"errors"
	"strings"
	"testing"
)

func TestVersionsAgreeWithHeader(t *testing.T) {
	if ABIVersion() != HeaderABIVersion {
		t.Fatalf("library ABI %d, header ABI %d", ABIVersion(), HeaderABIVersion)
	}
	if parts := strings.Split(Version(), "."); len(parts) != 3 {
		t.Fatalf("version %q is not MAJOR.MINOR.PATCH", Version())
	}
}

func TestStatusIsAnErrorMatchedByErrorsIs(t *testing.T) {
	err := checkStatus(StatusCorrupt)
	if !errors.Is(err, StatusCorrupt) {
		t.Fatalf("errors.Is(%v, StatusCorrupt) is false", err)
	}
	if errors.Is(err, StatusIO) {
		t.Fatalf("errors.Is(%v, StatusIO) is true", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusCorrupt {
		t.Fatalf("errors.As gives %v", e)
	}
	if StatusCorrupt.Error() != "corrupt data" {
		t.Fatalf("StatusCorrupt.Error() = %q", StatusCorrupt.Error())
	}
	if Status(12345).Error() != "unknown status" {
		t.Fatalf("Status(12345).Error() = %q", Status(12345).Error())
	}
}
