package flowlog

import (
	"net/netip"
	"time"
)

// Pos locates a record in its input: the source name (a file path, "-" for
// standard input, or "path#stream" for a CloudWatch log stream) and the
// 1-based line (or event or row) number within it.
type Pos struct {
	Source string
	Line   int64
}

// Record is one flow log record. It is a plain value: fields absent from the
// log format or holding "-" are zero and Has reports false for them.
//
// Strings that repeat across records (account, interface, VPC and subnet ids,
// region, service names) are interned by the reader, so a Record holds no
// memory of its own input line and may be copied freely.
type Record struct {
	Pos     Pos
	Kind    Kind     // VPC or Transit Gateway
	Present FieldSet // fields that were in the format and not "-"

	Version     int
	AccountID   string
	InterfaceID string
	SrcAddr     netip.Addr
	DstAddr     netip.Addr
	SrcPort     uint16
	DstPort     uint16
	Protocol    Proto
	Packets     int64
	Bytes       int64
	Start       int64 // Unix seconds
	End         int64 // Unix seconds
	Action      Action
	LogStatus   LogStatus

	// Version 3.
	VPCID      string
	SubnetID   string
	InstanceID string
	TCPFlags   uint8
	Type       string // IPv4, IPv6 or EFA
	PktSrcAddr netip.Addr
	PktDstAddr netip.Addr

	// Version 4.
	Region          string
	AZID            string
	SublocationType string
	SublocationID   string

	// Version 5.
	PktSrcAWSService string
	PktDstAWSService string
	FlowDirection    Direction
	TrafficPath      uint8

	// Version 7: ECS.
	ECSClusterARN           string
	ECSClusterName          string
	ECSContainerInstanceARN string
	ECSContainerInstanceID  string
	ECSContainerID          string
	ECSSecondContainerID    string
	ECSServiceName          string
	ECSTaskDefinitionARN    string
	ECSTaskARN              string
	ECSTaskID               string

	// Version 8 and later.
	RejectReason     string // "BPA" for VPC Block Public Access
	ResourceID       string
	EncryptionStatus uint8

	// Transit Gateway (version 6) fields; set only when Kind is
	// KindTransitGateway.
	TGW TGWFields

	// Extra holds the values of columns whose header name flowdiag does not
	// know, in the order of Format.Extra. The slice is reused by the reader
	// for the next record: copy it to keep it.
	Extra []string
}

// TGWFields are the fields only Transit Gateway flow logs have.
type TGWFields struct {
	ResourceType           string
	TGWID                  string
	AttachmentID           string
	SrcVPCAccountID        string
	DstVPCAccountID        string
	SrcVPCID               string
	DstVPCID               string
	SrcSubnetID            string
	DstSubnetID            string
	SrcENI                 string
	DstENI                 string
	SrcAZID                string
	DstAZID                string
	PairAttachmentID       string
	PacketsLostNoRoute     int64
	PacketsLostBlackhole   int64
	PacketsLostMTUExceeded int64
	PacketsLostTTLExpired  int64
}

// Has reports whether field f was present in the record (in the format and
// not "-").
func (r *Record) Has(f Field) bool { return r.Present.Has(f) }

// StartTime returns start as a UTC time; the zero time when absent.
func (r *Record) StartTime() time.Time {
	if !r.Has(FieldStart) {
		return time.Time{}
	}
	return time.Unix(r.Start, 0).UTC()
}

// EndTime returns end as a UTC time; the zero time when absent.
func (r *Record) EndTime() time.Time {
	if !r.Has(FieldEnd) {
		return time.Time{}
	}
	return time.Unix(r.End, 0).UTC()
}

// IsGap reports whether r is a NODATA or SKIPDATA record.
func (r *Record) IsGap() bool { return r.LogStatus.IsGap() }

// PacketSrc returns the packet-level source address: pkt-srcaddr when
// present, else srcaddr. Security group and NACL rules see this address.
func (r *Record) PacketSrc() netip.Addr {
	if r.PktSrcAddr.IsValid() {
		return r.PktSrcAddr
	}
	return r.SrcAddr
}

// PacketDst returns pkt-dstaddr when present, else dstaddr.
func (r *Record) PacketDst() netip.Addr {
	if r.PktDstAddr.IsValid() {
		return r.PktDstAddr
	}
	return r.DstAddr
}

// Reset clears r for reuse, keeping the Extra slice's capacity.
func (r *Record) Reset() {
	extra := r.Extra[:0]
	*r = Record{}
	r.Extra = extra
}
