/*
 * Test-only stand-in for bcryptprimitives.dll under wine 8, which lacks it.
 * Go 1.22 and later fetch ProcessPrng from that DLL when they start, so no
 * Go program runs in a wine 8 prefix without it. Real Windows 10 and later
 * ship the DLL: this file is never packaged.
 *
 * ProcessPrng fills a buffer of any size with random bytes and always
 * succeeds; RtlGenRandom (advapi32!SystemFunction036) takes at most a ULONG
 * per call, so large requests go in pieces.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE buf, SIZE_T size)
{
	const SIZE_T piece = 1u << 20;
	while (size > 0) {
		ULONG n = (ULONG)(size < piece ? size : piece);
		if (!RtlGenRandom(buf, n))
			return FALSE;
		buf += n;
		size -= n;
	}
	return TRUE;
}
