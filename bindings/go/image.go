package flowbb

/*
#include <stdlib.h>
#include "flowbb.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Image is an 8-bit image: rows from the top, the channels of a pixel next
// to each other (RGB RGB ... or grayscale).
type Image struct {
	Width, Height int
	// Channels is 1 (grayscale) or 3 (RGB).
	Channels int
	// Pixels holds Width * Height * Channels bytes.
	Pixels []byte
}

// cImages copies images into C memory (cgo forbids passing Go memory that
// holds Go pointers). free releases it.
func cImages(images []Image) (views *C.flowbb_image, count C.size_t, free func(), err error) {
	if len(images) == 0 {
		return nil, 0, func() {}, nil
	}
	size := C.size_t(len(images)) * C.size_t(unsafe.Sizeof(C.flowbb_image{}))
	arr := (*C.flowbb_image)(C.malloc(size))
	list := unsafe.Slice(arr, len(images))
	var owned []unsafe.Pointer
	free = func() {
		for _, p := range owned {
			C.free(p)
		}
		C.free(unsafe.Pointer(arr))
	}
	for i, im := range images {
		if im.Width <= 0 || im.Height <= 0 || im.Channels <= 0 ||
			len(im.Pixels) != im.Width*im.Height*im.Channels {
			free()
			return nil, 0, nil, &Error{
				Status: StatusInvalidArgument,
				Message: fmt.Sprintf(
					"images[%d]: a %dx%d image with %d channels needs %d bytes, found %d",
					i, im.Width, im.Height, im.Channels,
					im.Width*im.Height*im.Channels, len(im.Pixels)),
			}
		}
		pix := C.CBytes(im.Pixels)
		owned = append(owned, pix)
		list[i] = C.flowbb_image{
			width:    C.uint32_t(im.Width),
			height:   C.uint32_t(im.Height),
			channels: C.uint32_t(im.Channels),
			pixels:   (*C.uint8_t)(pix),
		}
	}
	return arr, C.size_t(len(images)), free, nil
}

// goImages copies the images of a C list into Go memory and frees the list.
func goImages(list *C.flowbb_image_list) ([]Image, error) {
	defer C.flowbb_image_list_free(list)
	n := int(C.flowbb_image_list_len(list))
	out := make([]Image, n)
	for i := range out {
		var v C.flowbb_image
		var cerr *C.flowbb_error
		if err := check(C.flowbb_image_list_get(list, C.size_t(i), &v, &cerr), cerr); err != nil {
			return nil, err
		}
		size := int(v.width) * int(v.height) * int(v.channels)
		out[i] = Image{
			Width:    int(v.width),
			Height:   int(v.height),
			Channels: int(v.channels),
			Pixels:   C.GoBytes(unsafe.Pointer(v.pixels), C.int(size)),
		}
	}
	return out, nil
}

// goBytes copies library-allocated bytes into Go memory and frees them.
func goBytes(b *C.flowbb_bytes) []byte {
	defer C.flowbb_bytes_free(b)
	if b.len == 0 {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(b.data), C.int(b.len))
}

// cBytes copies a Go byte slice into C memory, freed with C.free.
func cBytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(C.CBytes(b)), C.size_t(len(b))
}

// keep is runtime.KeepAlive under a shorter name: it keeps an object (and
// so its finalizer) alive until a cgo call that uses its handle returns.
func keep(x any) { runtime.KeepAlive(x) }
