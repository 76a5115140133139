module github.com/openbpclient/bpclient

go 1.26.0

require (
	github.com/Microsoft/go-winio v0.6.4
	github.com/chromedp/chromedp v0.23.0
	github.com/rs/zerolog v1.35.1
	golang.org/x/sys v0.50.0
	gopkg.in/natefinch/lumberjack.v2 v2.2.1
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
)
