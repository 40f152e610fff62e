// Package review checks VPC traffic and network controls against a security
// policy of prohibited destinations.
//
// A policy (YAML, see docs/review.md) names destination sets (CIDRs, ports,
// protocols, and the built-in sets internet, link-local, metadata and
// rfc1918), prohibitions (which sources must never reach which sets, with a
// severity, a reason and an optional expr condition) and exceptions (an
// owner, a reason and an optional expiry). Load reads and validates it with
// file:line:col errors; Compile turns every prohibition and exception into
// rules of the rules package, so the same streaming engine that explains
// blocked traffic finds the conversations that reached, or tried to reach, a
// prohibited destination. Analyze walks a topology's security groups and
// network ACLs for rules that would permit a prohibited destination even if
// no traffic used them yet, and names the narrowest change that closes each.
// Findings print as text, JSON lines, Markdown or SARIF 2.1.0.
package review
