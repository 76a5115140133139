package browsertest

// MissingCardALSA is an ALSA configuration (for ALSA_CONFIG_PATH) with a
// null default device and devices on a sound card that is not there:
// ALSA complains about the card on every enumeration, as it does on a
// machine without one, whatever this machine has, while a stream on the
// default device still opens.
const MissingCardALSA = `pcm.!default { type asym playback.pcm "quietnull" capture.pcm "quietnull" }
pcm.quietnull { type null }
pcm.nocard { type plug slave.pcm { type hw card "nosuchcard" } }
ctl.!default { type hw card "nosuchcard" }
`
