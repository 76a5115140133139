/*
 * Test-only planted WINMM.dll: what an attacker who can write to the
 * per-user install folder would drop beside bpclient.exe. When a process
 * loads it, it writes "planted-dll-loaded" beside itself and exits that
 * process with code 86, so a test sees both. It exports nothing: a binary
 * that imports WINMM statically from the application's folder fails to
 * start with it. Never packaged.
 */
#include <windows.h>

BOOL WINAPI DllMain(HINSTANCE self, DWORD reason, LPVOID reserved)
{
	(void)reserved;
	if (reason != DLL_PROCESS_ATTACH)
		return TRUE;
	char path[MAX_PATH + 32];
	DWORD n = GetModuleFileNameA(self, path, MAX_PATH);
	while (n > 0 && path[n - 1] != '\\')
		n--;
	lstrcpyA(path + n, "planted-dll-loaded");
	HANDLE f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (f != INVALID_HANDLE_VALUE)
		CloseHandle(f);
	ExitProcess(86);
	return FALSE;
}
