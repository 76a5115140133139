module github.com/openbpclient/bpclient

go 1.26.0

require (
	github.com/Microsoft/go-winio v0.6.4
	github.com/rs/zerolog v1.35.1
	golang.org/x/sys v0.50.0
	gopkg.in/natefinch/lumberjack.v2 v2.2.1
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
)
