//go:build linux && cgo && !noportaudio

package audio

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

// ALSA, its JACK plugin's libjack and PortAudio's ALSA host API write
// their complaints straight to stderr (about a hundred lines on a machine
// without a sound card). Their hooks take no user data, so the lines wait
// here, bounded, until Go takes them for the log.
enum { chatterCap = 32 * 1024 };
static pthread_mutex_t chatterMu = PTHREAD_MUTEX_INITIALIZER;
static char chatterBuf[chatterCap];
static size_t chatterLen;
static int chatterLost;

static void chatterAppend(const char *line) {
	size_t n = strlen(line);
	while (n > 0 && (line[n-1] == '\n' || line[n-1] == '\r')) n--;
	if (n == 0) return;
	pthread_mutex_lock(&chatterMu);
	if (chatterLen + n + 1 <= chatterCap) {
		memcpy(chatterBuf + chatterLen, line, n);
		chatterLen += n;
		chatterBuf[chatterLen++] = '\n';
	} else {
		chatterLost++;
	}
	pthread_mutex_unlock(&chatterMu);
}

static void chatterALSA(const char *file, int line, const char *function, int err, const char *fmt, ...) {
	char msg[512];
	int off = snprintf(msg, sizeof msg, "alsa: %s:%d:(%s) ", file ? file : "?", line, function ? function : "?");
	if (off < 0 || off >= (int)sizeof msg) off = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + off, sizeof msg - off, fmt, ap);
	va_end(ap);
	if (err != 0) {
		size_t used = strlen(msg);
		snprintf(msg + used, sizeof msg - used, ": %s", strerror(err < 0 ? -err : err));
	}
	chatterAppend(msg);
}

static void chatterPrefixed(const char *prefix, const char *text) {
	char msg[512];
	snprintf(msg, sizeof msg, "%s%s", prefix, text ? text : "");
	chatterAppend(msg);
}

static void chatterJACK(const char *text) { chatterPrefixed("jack: ", text); }
static void chatterPortAudio(const char *text) { chatterPrefixed("portaudio: ", text); }

typedef void (*alsaHandler)(const char *, int, const char *, int, const char *, ...);
typedef void (*textHandler)(const char *);

// PortAudio's ALSA host API opens libasound.so.2 itself (PA_ALSA_DYNAMIC),
// and ALSA's JACK plugin opens libjack.so.0 later still: opening them here
// first gives the same, process-wide, instances, whose hooks are then
// ours. The handles stay open so the hooks outlive PortAudio's dlclose.
static void chatterHook(void) {
	void *asound = dlopen("libasound.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (asound) {
		int (*set)(alsaHandler) = (int (*)(alsaHandler))dlsym(asound, "snd_lib_error_set_handler");
		if (set) set(chatterALSA);
	}
	void *jack = dlopen("libjack.so.0", RTLD_LAZY | RTLD_GLOBAL);
	if (jack) {
		void (*setErr)(textHandler) = (void (*)(textHandler))dlsym(jack, "jack_set_error_function");
		void (*setInfo)(textHandler) = (void (*)(textHandler))dlsym(jack, "jack_set_info_function");
		if (setErr) setErr(chatterJACK);
		if (setInfo) setInfo(chatterJACK);
	}
	// PortAudio's own debug printer (its ALSA host API prints failed
	// expressions unconditionally); a weak reference, as the system's
	// libportaudio may not export it.
	extern void PaUtil_SetDebugPrintFunction(textHandler) __attribute__((weak));
	if (PaUtil_SetDebugPrintFunction) PaUtil_SetDebugPrintFunction(chatterPortAudio);
}

static pthread_once_t chatterOnce = PTHREAD_ONCE_INIT;
static void chatterQuiet(void) { pthread_once(&chatterOnce, chatterHook); }

// chatterTake moves the waiting lines into dst (at most cap bytes) and
// returns their length; lost counts lines dropped for lack of room.
static size_t chatterTake(char *dst, size_t cap, int *lost) {
	pthread_mutex_lock(&chatterMu);
	size_t n = chatterLen < cap ? chatterLen : cap;
	memcpy(dst, chatterBuf, n);
	memmove(chatterBuf, chatterBuf + n, chatterLen - n);
	chatterLen -= n;
	*lost = chatterLost;
	chatterLost = 0;
	pthread_mutex_unlock(&chatterMu);
	return n;
}
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// quietLibraries routes the sound libraries' complaints away from stderr;
// call it before PortAudio initialises. Idempotent.
func quietLibraries() { C.chatterQuiet() }

// takeLibraryChatter returns the library lines that waited since the last
// call, oldest first.
func takeLibraryChatter() []string {
	buf := make([]byte, C.chatterCap)
	var lost C.int
	n := C.chatterTake((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &lost)
	text := strings.TrimSuffix(string(buf[:n]), "\n")
	var lines []string
	if text != "" {
		lines = strings.Split(text, "\n")
	}
	if lost > 0 {
		lines = append(lines, fmt.Sprintf("audio: %d more sound-library lines dropped", int(lost)))
	}
	return lines
}
