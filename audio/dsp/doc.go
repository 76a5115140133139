// Package dsp holds the signal processing the audio path and its tests
// share: a streaming polyphase resampler between 8, 16, 44.1 and 48 kHz,
// call-progress and DTMF tones, the bundled ringtone, 16-bit WAV files,
// level metering in dBFS, and analysis helpers (Goertzel, FFT, sine fits,
// SNR) that tests in audio and sip use to check audio by frequency.
//
// Everything here is pure Go, allocation-free on the per-frame paths, and
// knows nothing about devices or SIP.
package dsp
