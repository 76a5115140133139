// Package browsertest runs the real browser path of bpclient in tests and
// in the demo: an isolated user environment (HOME and the XDG directories
// in a temporary directory), the real bpclient and bpclient-host binaries,
// an https test server for the demo Agent Desktop page, and headless
// Chromium (through chromedp) or Firefox ESR (through a small Marionette
// client) with the real extension loaded.
//
// Nothing here is linked into the product.
package browsertest
