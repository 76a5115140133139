package sip

import (
	"context"

	sipmsg "github.com/emiago/sipgo/sip"
)

// Call is one call. Stub until calls land.
type Call struct{}

// Hangup ends the call.
func (c *Call) Hangup(ctx context.Context) error { return nil }

func (c *Call) wait(ctx context.Context) {}

// AudioFactory gives a connected call its audio.
type AudioFactory interface{}

func (p *Phone) offerCodecs() ([]int, error) { return nil, nil }

func (p *Phone) onInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 486, "Busy Here", nil))
}
func (p *Phone) onAck(req *sipmsg.Request, tx sipmsg.ServerTransaction) {}
func (p *Phone) onBye(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	_ = tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}
func (p *Phone) onInfo(req *sipmsg.Request, tx sipmsg.ServerTransaction)   { p.onBye(req, tx) }
func (p *Phone) onRefer(req *sipmsg.Request, tx sipmsg.ServerTransaction)  { p.onBye(req, tx) }
func (p *Phone) onNotify(req *sipmsg.Request, tx sipmsg.ServerTransaction) { p.onBye(req, tx) }
