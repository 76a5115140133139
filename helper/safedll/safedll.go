// Package safedll makes a Windows binary load system DLLs from System32
// only. The per-user install folder (%LOCALAPPDATA%\Programs\BPClient) is
// writable by the user and by anything running as the user, and Windows
// looks in a program's own folder first for every DLL that is not a
// KnownDLL (WINMM.dll, which PortAudio's MME uses, is not): a DLL planted
// there would run inside the agent. Import it, for its init, from every
// main; elsewhere it does nothing.
//
// The init runs before main, so before PortAudio's first call loads
// WINMM.dll: the release build links WINMM as a delay-loaded import
// (scripts/delayimp-libs.sh) because a static import would be resolved by
// the loader before any of our code runs.
package safedll
