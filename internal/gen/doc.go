// Package gen generates a realistic, deterministic AWS VPC topology and VPC
// Flow Log records consistent with it, for benchmarks and end-to-end tests.
//
// A generated topology (Build) has two VPCs joined by peering, twelve subnets
// in three availability zones (public, app and data tiers, plus an operations
// VPC), about two thousand ENIs (load balancers, NAT gateways, a bastion,
// application instances, database, cache and queue nodes, monitoring and CI
// runners), about forty security groups with group references and a prefix
// list, and eight network ACLs. Three deliberate misconfigurations are built
// in, so the flow logs contain the incidents flowdiag diagnoses: a data-tier
// NACL without the ephemeral outbound range, a security group missing one
// inbound rule, and a NACL deny entry shadowing a later allow.
//
// Records (Generate) are produced conversation by conversation. Every
// conversation is evaluated against the topology with the same security group
// and network ACL semantics AWS applies (security groups stateful and
// allow-only, NACLs stateless and first match, NAT gateways translating), so a
// REJECT record appears exactly on the ENI and in the direction where the
// rules drop the traffic. Generation streams: memory does not grow with the
// number of records, and the same seed and options give byte-identical output.
package gen
