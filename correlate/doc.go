// Package correlate groups flow log records into conversations: who asked,
// who answered, and what each ENI on the way saw of the request and of the
// reply.
//
// A flow log record describes one direction of one 5-tuple on one ENI during
// one aggregation window. A TCP connection between two monitored ENIs of a VPC
// therefore shows up as up to four records per window (request and reply on
// the client's ENI and on the server's ENI), repeated for every window the
// connection lasts. A Correlator joins them, streaming, into one Conversation
// with a client (the initiator), a server, and one View per ENI that logged
// it, each with a request Leg and a reply Leg.
//
// # Keys
//
// Records join on the protocol and the unordered pair of packet-level ends
// (Record.PacketSrc and PacketDst, so the records a NAT gateway or transit
// gateway ENI writes about a flow join the endpoints' records). ICMP and
// ICMPv6 ports are ignored: flow logs carry no type or code, and echo request
// and reply must join.
//
// # Who initiated
//
// The client is decided when a conversation is emitted, from everything
// collected for it, with the strongest evidence available; Conversation.Basis
// and Confidence record which evidence decided it. In order of strength:
//
//   - BasisTCPFlags (High): a record carrying SYN without ACK was sent by the
//     client; a record carrying SYN-ACK (18) was sent by the server.
//   - BasisFlowDirection (Medium): on one endpoint ENI, a direction that was
//     accepted while the opposite direction was only ever rejected is the
//     request. Security groups are stateful and pass every reply to an
//     accepted request, and a rejected request draws no reply, so the
//     rejected direction must be the reply (a network ACL dropping it).
//     This is how the AWS ping example (ICMP ACCEPT in, REJECT out) is read.
//   - BasisTopology (Medium): Options.Hints says which end serves (a listener
//     or a security group rule opening that port).
//   - BasisPort (Medium or Low): a well-known port (below 1024) against an
//     unprivileged one is the server (Medium). Otherwise ports are ranked
//     1024-32767, 32768-49151 (Linux ephemeral range starts at 32768) and
//     49152-65535 (IANA and Windows ephemeral range); the end in the lower
//     range is the server (Low).
//   - BasisFirstSeen (Low): the end whose records start first is the client;
//     when the only direction seen is one way, its sender; on a tie, the
//     lower address.
//
// # Time
//
// Records of one conversation join whatever their order of arrival, as long
// as they are within IdleSplit+Tolerance seconds of the conversation's time
// range; a 5-tuple silent for longer starts a new conversation. A
// conversation is complete, and handed to the emit function, once its last
// record ends more than Horizon seconds before the newest log time seen (the
// largest end of any record added so far) and no record of it arrived
// while the newest log time moved by Horizon (so records that arrive out of
// order, a file read after another covering the same hour, stay together).
// Memory is therefore bounded by the conversations active within the
// horizon, not by the input, and absolutely by Options.MaxOpen: a scan
// opening more conversations than that within the horizon has those quiet
// the longest emitted early (Stats.Evicted). A record that arrives after
// its conversation was emitted starts a new one, marked Continued, and is
// counted in Stats.LateRecords; later records of the same kind join that
// one.
//
// # Gaps
//
// NODATA and SKIPDATA records are kept per ENI (for Horizon+IdleSplit+
// Tolerance seconds of log time) and attached to every conversation whose
// time range they overlap, for the ENIs that logged the conversation and for
// the ENIs known (from other records or the topology) to own one of its two
// addresses (Gap.Of names that address), so a diagnosis can say the
// evidence is incomplete (SKIPDATA) or that an end's ENI saw no traffic
// (NODATA).
//
// # Duplicates
//
// The same record read twice (a file given twice, a directory and a file
// inside it, overlapping exports) is counted once: a record identical to
// one already in its open conversation (same ENI, direction, addresses,
// start, end, action, packets, bytes and tcp-flags, compared by a 64-bit
// fingerprint) and a gap record identical to one kept for its ENI (status,
// start, end) are dropped and counted in Stats.Duplicates. The evidence
// names the copy read first.
//
// # Memory
//
// An open conversation is a fixed-size slot of a few hundred bytes with no
// pointers, in a slab that is mapped outside the Go heap on Unix; the
// public Conversation is built only when it is emitted. See slab.go. The
// index of open conversations and the keys of emitted ones are
// open-addressing tables of their own (index.go), and AddRecs looks a few
// records ahead so that their cache misses overlap.
//
// # Building on other goroutines
//
// NewDeferred emits a Pending instead of a Conversation: the conversation
// with a copy of what later records may change (the ENIs' learned
// addresses, its gaps). Pending.Build may then run on any goroutine, so a
// pipeline keeps one goroutine correlating and builds on the others; the
// result is exactly New's.
//
// # Transit Gateway records
//
// Records of Kind KindTransitGateway describe attachments, not ENIs; they are
// counted in Stats.TransitGateway and otherwise ignored.
package correlate
