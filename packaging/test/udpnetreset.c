/*
 * Test-only: lets Go programs open UDP sockets under wine 8. Linked into
 * the test's bcryptprimitives.dll stand-in (processprng.c), which every Go
 * program loads when it starts, before it opens any socket. Never packaged.
 *
 * Go (since 1.24, golang/go#68614) turns off SIO_UDP_NETRESET on every UDP
 * socket it creates and gives up on the socket when WSAIoctl fails. Windows
 * 8 and later know that ioctl; wine 8 does not (WSAEOPNOTSUPP), so without
 * this no Go program there can send SIP or RTP over UDP.
 *
 * When the DLL is loaded it points ws2_32's export of WSAIoctl at a wrapper
 * (through a jump placed within 2 GB of ws2_32, since an export is a 32-bit
 * offset from the DLL's base); Go looks WSAIoctl up by name, later, and so
 * gets the wrapper. The wrapper passes every call on, and answers success
 * only for the one ioctl wine lacks: what that ioctl would turn off (ICMP
 * "TTL exceeded" reported as an error on the next read) is a Windows
 * behaviour that wine does not have anyway.
 */
#include <winsock2.h>
#include <windows.h>
#include <string.h>

#ifndef SIO_UDP_NETRESET
#define SIO_UDP_NETRESET _WSAIOW(IOC_VENDOR, 15)
#endif

typedef int(WSAAPI *wsaioctl_fn)(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD, LPWSAOVERLAPPED,
				 LPWSAOVERLAPPED_COMPLETION_ROUTINE);

static wsaioctl_fn real_wsaioctl;

static int WSAAPI wsaioctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen, LPDWORD ret,
			   LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done)
{
	int rc = real_wsaioctl(s, code, in, inlen, out, outlen, ret, ov, done);
	if (rc != 0 && code == SIO_UDP_NETRESET && WSAGetLastError() == WSAEOPNOTSUPP) {
		if (ret)
			*ret = 0;
		WSASetLastError(0);
		return 0;
	}
	return rc;
}

/* export_slot is ws2_32's export table entry of name, or NULL. */
static DWORD *export_slot(BYTE *base, const char *name)
{
	IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
	IMAGE_DATA_DIRECTORY dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
	if (dir.VirtualAddress == 0)
		return NULL;
	IMAGE_EXPORT_DIRECTORY *ex = (IMAGE_EXPORT_DIRECTORY *)(base + dir.VirtualAddress);
	DWORD *names = (DWORD *)(base + ex->AddressOfNames);
	WORD *ordinals = (WORD *)(base + ex->AddressOfNameOrdinals);
	DWORD *funcs = (DWORD *)(base + ex->AddressOfFunctions);
	for (DWORD i = 0; i < ex->NumberOfNames; i++)
		if (strcmp((const char *)(base + names[i]), name) == 0)
			return &funcs[ordinals[i]];
	return NULL;
}

/* near_jump writes "jmp [rip]; dq target" into a page above base, within
 * the reach of a 32-bit export offset, and returns it (NULL: none free). */
static BYTE *near_jump(BYTE *base, SIZE_T image, void *target)
{
	const SIZE_T grain = 0x10000;
	for (BYTE *p = base + ((image + grain - 1) & ~(grain - 1)); p < base + 0x7fff0000; p += grain) {
		BYTE *stub = VirtualAlloc(p, 4096, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE);
		if (stub == NULL)
			continue;
		stub[0] = 0xff, stub[1] = 0x25;
		memset(stub + 2, 0, 4);
		memcpy(stub + 6, &target, sizeof target);
		return stub;
	}
	return NULL;
}

static void hook_wsaioctl(void)
{
	BYTE *base = (BYTE *)LoadLibraryW(L"ws2_32.dll");
	if (base == NULL)
		return;
	DWORD *slot = export_slot(base, "WSAIoctl");
	if (slot == NULL)
		return;
	IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
	BYTE *stub = near_jump(base, nt->OptionalHeader.SizeOfImage, (void *)wsaioctl);
	if (stub == NULL)
		return;
	real_wsaioctl = (wsaioctl_fn)(base + *slot);
	DWORD old;
	if (!VirtualProtect(slot, sizeof *slot, PAGE_READWRITE, &old))
		return;
	*slot = (DWORD)(stub - base);
	VirtualProtect(slot, sizeof *slot, old, &old);
}

BOOL WINAPI DllMain(HINSTANCE self, DWORD reason, LPVOID reserved)
{
	(void)self, (void)reserved;
	if (reason == DLL_PROCESS_ATTACH)
		hook_wsaioctl();
	return TRUE;
}
