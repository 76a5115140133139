package cli

import (
	"github.com/rs/zerolog"

	"github.com/openbpclient/bpclient/helper/support"
)

// openSupportHistory is the agent's support history, kept beside
// BPClient.log. A file it cannot read is logged, not fatal: the history
// starts empty and replaces it.
func openSupportHistory(log zerolog.Logger) (*support.History, error) {
	file, err := support.DefaultHistoryFile()
	if err != nil {
		return nil, err
	}
	h, err := support.OpenHistory(file, nil, log)
	if err != nil {
		log.Warn().Err(err).Msg("support history not restored")
	}
	return h, nil
}
