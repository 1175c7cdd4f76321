// zgo: the xx-rs "go" example, a cgo program using the target's zlib.
package main

/*
#cgo LDFLAGS: -lz
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned long checksum(const char *text) {
	return crc32(0L, (const Bytef *)text, (uInt)strlen(text));
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"unsafe"
)

func main() {
	message := "hello from xx-rs"
	if len(os.Args) > 1 {
		message = strings.Join(os.Args[1:], " ")
	}
	text := C.CString(message)
	defer C.free(unsafe.Pointer(text))
	fmt.Printf("zgo %s/%s, zlib %s: crc32(%q) = %08x\n",
		runtime.GOOS, runtime.GOARCH, C.GoString(C.zlibVersion()), message, uint32(C.checksum(text)))
}
