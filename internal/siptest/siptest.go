// Package siptest starts real SIP peers on loopback for tests: Kamailio as
// registrar and proxy (digest auth from db_text), and baresip as the remote
// phone. Every peer gets private paths under the test's temporary
// directory and its own ports on 127.0.0.1 (ports.go), and is killed on
// cleanup.
package siptest
