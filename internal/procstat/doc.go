// Package procstat reads what Linux's /proc says of a process: the CPU
// it and its waited-for children used, and its status lines (VmHWM, ...).
// The benchmark tests use it to measure bpclient beside baresip.
package procstat
