package correlate

import (
	"net/netip"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Rec is the part of a flow log record a Correlator reads: about a quarter
// of a flowlog.Record's size, so that batches of records can be handed
// between goroutines (parsing workers to the correlator) without copying a
// kilobyte per record. Field names and meanings are those of
// flowlog.Record; HasTCPFlags says whether tcp-flags was present.
type Rec struct {
	Pos                    flowlog.Pos
	SrcAddr, DstAddr       netip.Addr
	PktSrcAddr, PktDstAddr netip.Addr
	Packets, Bytes         int64
	Start, End             int64
	InterfaceID            string
	AccountID              string
	VPCID, SubnetID        string
	RejectReason           string
	SrcPort, DstPort       uint16
	Protocol               flowlog.Proto
	TCPFlags               uint8
	HasTCPFlags            bool
	Kind                   flowlog.Kind
	Action                 flowlog.Action
	LogStatus              flowlog.LogStatus
	FlowDirection          flowlog.Direction
}

// Set fills x from r, overwriting every field.
func (x *Rec) Set(r *flowlog.Record) {
	*x = Rec{
		Pos:     r.Pos,
		SrcAddr: r.SrcAddr, DstAddr: r.DstAddr, PktSrcAddr: r.PktSrcAddr, PktDstAddr: r.PktDstAddr,
		Packets: r.Packets, Bytes: r.Bytes, Start: r.Start, End: r.End,
		InterfaceID: r.InterfaceID, AccountID: r.AccountID, VPCID: r.VPCID, SubnetID: r.SubnetID,
		RejectReason: r.RejectReason,
		SrcPort:      r.SrcPort, DstPort: r.DstPort, Protocol: r.Protocol,
		TCPFlags: r.TCPFlags, HasTCPFlags: r.Has(flowlog.FieldTCPFlags),
		Kind: r.Kind, Action: r.Action, LogStatus: r.LogStatus, FlowDirection: r.FlowDirection,
	}
}

// IsGap reports whether x is a NODATA or SKIPDATA record.
func (x *Rec) IsGap() bool { return x.LogStatus.IsGap() }

// PacketSrc returns pkt-srcaddr when present, else srcaddr.
func (x *Rec) PacketSrc() netip.Addr {
	if x.PktSrcAddr.IsValid() {
		return x.PktSrcAddr
	}
	return x.SrcAddr
}

// PacketDst returns pkt-dstaddr when present, else dstaddr.
func (x *Rec) PacketDst() netip.Addr {
	if x.PktDstAddr.IsValid() {
		return x.PktDstAddr
	}
	return x.DstAddr
}
