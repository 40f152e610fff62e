// Package topology models the network controls of AWS VPCs (VPCs, subnets,
// network interfaces, security groups, network ACLs and managed prefix lists)
// and evaluates them for a packet, naming the rule that decided.
//
// A Topology is loaded from flowdiag's YAML format (see docs/topology.md) or
// from the JSON that the AWS CLI's describe-* commands print, including
// Batfish snapshot directories and cloud-custodian placebo recordings. Load
// picks the right reader for a path; every problem found in a file is
// reported at once, as an ErrorList sorted by position.
//
// Evaluate walks one packet through the checks AWS applies, in order: the
// source ENI's security groups (outbound), the source subnet's network ACL
// (outbound), the destination subnet's network ACL (inbound), the destination
// ENI's security groups (inbound), and, for the reply, both network ACLs again
// (they are stateless) while security groups let replies through by
// connection tracking. Evaluate does not allocate and is safe for concurrent
// use once the Topology is loaded; a Topology is never modified after Load.
package topology
