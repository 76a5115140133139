package audio

// Backend names the audio library compiled into this build, with its
// version ("PortAudio V19.6.0-devel, revision ..."), or is "" when the
// build has none (CGO_ENABLED=0 or the noportaudio tag): support staff
// read it in `bpclient version --verbose`.
func Backend() string { return backendName() }
