package flowlog

import (
	"fmt"
	"strconv"
	"strings"
)

// Proto is an IANA protocol number as carried in the protocol field.
type Proto uint8

// Protocol numbers flowdiag names; any other number is valid and prints as
// itself.
const (
	ProtoICMP   Proto = 1
	ProtoIGMP   Proto = 2
	ProtoTCP    Proto = 6
	ProtoUDP    Proto = 17
	ProtoGRE    Proto = 47
	ProtoESP    Proto = 50
	ProtoAH     Proto = 51
	ProtoICMPv6 Proto = 58
	ProtoSCTP   Proto = 132
)

var protoNames = map[Proto]string{
	0: "hopopt", ProtoICMP: "icmp", ProtoIGMP: "igmp", 4: "ipip", ProtoTCP: "tcp",
	ProtoUDP: "udp", 41: "ipv6", ProtoGRE: "gre", ProtoESP: "esp", ProtoAH: "ah",
	ProtoICMPv6: "icmpv6", 89: "ospf", 103: "pim", 112: "vrrp", 115: "l2tp", ProtoSCTP: "sctp",
}

// String returns the lower-case protocol keyword ("tcp") or the number.
func (p Proto) String() string {
	switch p { // the common ones without the map lookup: every diagnosis asks
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "icmp"
	}
	if n, ok := protoNames[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}

// HasPorts reports whether SG and NACL port ranges apply to the protocol
// (TCP and UDP); for ICMP the ports hold type and code instead.
func (p Proto) HasPorts() bool { return p == ProtoTCP || p == ProtoUDP }

// IsICMP reports whether p is ICMP or ICMPv6.
func (p Proto) IsICMP() bool { return p == ProtoICMP || p == ProtoICMPv6 }

// ParseProto accepts a protocol name ("tcp", "TCP", "icmpv6", "ipv6-icmp")
// or a number from 0 to 255.
func ParseProto(s string) (Proto, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "ipv6-icmp" || t == "icmp6" {
		return ProtoICMPv6, nil
	}
	for p, n := range protoNames {
		if n == t {
			return p, nil
		}
	}
	n, err := strconv.ParseUint(t, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("%q is not a protocol: want a name such as tcp, udp, icmp, icmpv6 or a number 0-255", s)
	}
	return Proto(n), nil
}

// MarshalText implements encoding.TextMarshaler.
func (p Proto) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Proto) UnmarshalText(b []byte) error {
	v, err := ParseProto(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Action is the action field: ACCEPT, REJECT, or none ("-" on NODATA and
// SKIPDATA records).
type Action uint8

// Actions.
const (
	ActionNone Action = iota
	ActionAccept
	ActionReject
)

func (a Action) String() string {
	switch a {
	case ActionAccept:
		return "ACCEPT"
	case ActionReject:
		return "REJECT"
	}
	return "-"
}

// ParseAction accepts ACCEPT, REJECT or "-" in any case.
func ParseAction(s string) (Action, error) {
	switch strings.ToUpper(s) {
	case "ACCEPT":
		return ActionAccept, nil
	case "REJECT":
		return ActionReject, nil
	case "-", "":
		return ActionNone, nil
	}
	return 0, fmt.Errorf("%q is not an action: want ACCEPT or REJECT", s)
}

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	*a = v
	return err
}

// LogStatus is the log-status field.
type LogStatus uint8

// Log statuses. LogStatusNone means the format has no log-status field.
const (
	LogStatusNone LogStatus = iota
	LogStatusOK
	LogStatusNoData
	LogStatusSkipData
)

func (s LogStatus) String() string {
	switch s {
	case LogStatusOK:
		return "OK"
	case LogStatusNoData:
		return "NODATA"
	case LogStatusSkipData:
		return "SKIPDATA"
	}
	return "-"
}

// IsGap reports whether the record marks missing evidence (NODATA or SKIPDATA).
func (s LogStatus) IsGap() bool { return s == LogStatusNoData || s == LogStatusSkipData }

// ParseLogStatus accepts OK, NODATA, SKIPDATA or "-".
func ParseLogStatus(s string) (LogStatus, error) {
	switch strings.ToUpper(s) {
	case "OK":
		return LogStatusOK, nil
	case "NODATA":
		return LogStatusNoData, nil
	case "SKIPDATA":
		return LogStatusSkipData, nil
	case "-", "":
		return LogStatusNone, nil
	}
	return 0, fmt.Errorf("%q is not a log status: want OK, NODATA or SKIPDATA", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s LogStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Direction is the flow-direction field, relative to the record's ENI.
type Direction uint8

// Directions. DirUnknown when the field is absent.
const (
	DirUnknown Direction = iota
	DirIngress
	DirEgress
)

func (d Direction) String() string {
	switch d {
	case DirIngress:
		return "ingress"
	case DirEgress:
		return "egress"
	}
	return "-"
}

// ParseDirection accepts ingress, egress or "-".
func ParseDirection(s string) (Direction, error) {
	switch strings.ToLower(s) {
	case "ingress":
		return DirIngress, nil
	case "egress":
		return DirEgress, nil
	case "-", "":
		return DirUnknown, nil
	}
	return 0, fmt.Errorf("%q is not a flow direction: want ingress or egress", s)
}

// MarshalText implements encoding.TextMarshaler.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Kind says which service wrote a record.
type Kind uint8

// Kinds.
const (
	KindVPC            Kind = iota // VPC, subnet or ENI flow log
	KindTransitGateway             // Transit Gateway flow log (version 6 fields)
)

func (k Kind) String() string {
	if k == KindTransitGateway {
		return "tgw"
	}
	return "vpc"
}

// TCP flag bits as AWS reports them in tcp-flags (OR-ed over the window).
const (
	FlagFIN = 1
	FlagSYN = 2
	FlagRST = 4
	FlagACK = 16 // only ever reported together with SYN (SYN-ACK = 18)
)
