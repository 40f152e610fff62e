package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// Topology is a loaded, validated VPC model with its lookup indexes. It is
// read-only after loading and safe for concurrent use.
type Topology struct {
	// Source names where the topology came from (a file or directory).
	Source string

	// warnings are problems that do not stop evaluation, such as a rule
	// referencing a security group the topology does not hold.
	warnings []string

	vpcs    []*VPC
	subnets []*Subnet
	sgs     []*SecurityGroup
	nacls   []*NACL
	enis    []*ENI
	pls     []*PrefixList

	resolvers []netip.Addr // each VPC's Amazon DNS resolver (primary CIDR base + 2)
	// subnetsInVPCs: every subnet CIDR lies inside a CIDR of its VPC (as
	// AWS requires), so an address outside every VPC is in no subnet and
	// endpoint need not scan the subnets for it.
	subnetsInVPCs bool
	byAddr        map[[16]byte]addrEntry // by the address's 16-byte form: hashing a netip.Addr costs more (it holds a zone handle)
	// byPrefix holds the ENIs' delegated prefixes by masked 16-byte form
	// and length (IPv4 lengths +96, as in the 16-byte form); prefixLens
	// lists the lengths in use, so a lookup masks an address once per
	// length (a VPC uses one or two).
	byPrefix   map[prefixKey]*ENI
	prefixLens []int
	eniByID    map[string]*ENI
	sgByID     map[string]*SecurityGroup
	naclByID   map[string]*NACL
	subByID    map[string]*Subnet
	vpcByID    map[string]*VPC
	plByID     map[string]*PrefixList
}

// Warnings returns the problems found while loading that do not stop
// evaluation, each as "file:line:col: item: field: problem".
func (t *Topology) Warnings() []string { return t.warnings }

// VPCs returns the VPCs sorted by id.
func (t *Topology) VPCs() []*VPC { return t.vpcs }

// Subnets returns the subnets sorted by id.
func (t *Topology) Subnets() []*Subnet { return t.subnets }

// SecurityGroups returns the security groups sorted by id.
func (t *Topology) SecurityGroups() []*SecurityGroup { return t.sgs }

// NACLs returns the network ACLs sorted by id.
func (t *Topology) NACLs() []*NACL { return t.nacls }

// ENIs returns the network interfaces sorted by id.
func (t *Topology) ENIs() []*ENI { return t.enis }

// PrefixLists returns the managed prefix lists sorted by id.
func (t *Topology) PrefixLists() []*PrefixList { return t.pls }

// ENIByAddr finds the ENI owning a private IPv4/IPv6 or public/Elastic IP,
// or an address in one of its delegated prefixes.
func (t *Topology) ENIByAddr(a netip.Addr) (*ENI, bool) {
	ae, ok := t.addrEntry(a.Unmap())
	return ae.eni, ok
}

type prefixKey struct {
	addr [16]byte
	bits int
}

// addrEntry resolves an unmapped address to the ENI that owns it: one of
// its addresses, public IPs or delegated prefixes.
func (t *Topology) addrEntry(a netip.Addr) (addrEntry, bool) {
	key := a.As16()
	if ae, ok := t.byAddr[key]; ok {
		return ae, true
	}
	for _, bits := range t.prefixLens {
		if n, ok := t.byPrefix[prefixKey{mask16(key, bits), bits}]; ok {
			return addrEntry{eni: n, private: a}, true
		}
	}
	return addrEntry{}, false
}

// mask16 keeps the first bits bits of a.
func mask16(a [16]byte, bits int) [16]byte {
	for i := range a {
		switch {
		case bits >= 8:
			bits -= 8
		case bits > 0:
			a[i] &= ^byte(0xff >> bits)
			bits = 0
		default:
			a[i] = 0
		}
	}
	return a
}

// SubnetOf returns the subnet whose CIDRs hold a (the topology's, whether
// or not an ENI of it owns a).
func (t *Topology) SubnetOf(a netip.Addr) (*Subnet, bool) {
	ep := t.endpoint(a)
	return ep.Subnet, ep.Subnet != nil
}

// ENIByID finds an ENI by id.
func (t *Topology) ENIByID(id string) (*ENI, bool) { e, ok := t.eniByID[id]; return e, ok }

// SecurityGroupByID finds a security group by id.
func (t *Topology) SecurityGroupByID(id string) (*SecurityGroup, bool) {
	g, ok := t.sgByID[id]
	return g, ok
}

// NACLByID finds a network ACL by id.
func (t *Topology) NACLByID(id string) (*NACL, bool) { n, ok := t.naclByID[id]; return n, ok }

// SubnetByID finds a subnet by id.
func (t *Topology) SubnetByID(id string) (*Subnet, bool) { s, ok := t.subByID[id]; return s, ok }

// compile validates cross-references and builds the evaluators and indexes.
// Every problem is added to e; the topology is returned even with problems
// (callers discard it when e holds any).
func compile(source string, s *spec, e *errs) *Topology {
	t := &Topology{
		Source:   source,
		byAddr:   map[[16]byte]addrEntry{},
		byPrefix: map[prefixKey]*ENI{},
		eniByID:  map[string]*ENI{},
		sgByID:   map[string]*SecurityGroup{},
		naclByID: map[string]*NACL{},
		subByID:  map[string]*Subnet{},
		vpcByID:  map[string]*VPC{},
		plByID:   map[string]*PrefixList{},
	}
	index(e, "VPC", s.VPCs, func(v *VPC) (string, Pos) { return v.ID, v.Pos }, t.vpcByID, &t.vpcs)
	index(e, "subnet", s.Subnets, func(v *Subnet) (string, Pos) { return v.ID, v.Pos }, t.subByID, &t.subnets)
	index(e, "security group", s.SecurityGroups, func(v *SecurityGroup) (string, Pos) { return v.ID, v.Pos }, t.sgByID, &t.sgs)
	index(e, "network ACL", s.NACLs, func(v *NACL) (string, Pos) { return v.ID, v.Pos }, t.naclByID, &t.nacls)
	index(e, "ENI", s.ENIs, func(v *ENI) (string, Pos) { return v.ID, v.Pos }, t.eniByID, &t.enis)
	index(e, "prefix list", s.PrefixLists, func(v *PrefixList) (string, Pos) { return v.ID, v.Pos }, t.plByID, &t.pls)

	t.linkSubnets(e)
	t.subnetsInVPCs = subnetsInsideVPCs(t.subnets)
	t.resolvers = resolverAddrs(t.vpcs)
	t.linkNACLs(e)
	t.linkENIs(e)
	t.compileSGs(e)
	for _, n := range t.nacls {
		compileNACL(n, e)
	}
	return t
}

// index fills a by-id map and a sorted slice, reporting duplicate ids.
func index[T any](e *errs, kind string, in []*T, key func(*T) (string, Pos), m map[string]*T, out *[]*T) {
	for _, v := range in {
		id, pos := key(v)
		if id == "" {
			continue // already reported as missing
		}
		if prev, dup := m[id]; dup {
			_, ppos := key(prev)
			e.add(pos, id, "id", "duplicate %s id: already defined at %s", kind, ppos)
			continue
		}
		m[id] = v
		*out = append(*out, v)
	}
	sort.Slice(*out, func(i, j int) bool { a, _ := key((*out)[i]); b, _ := key((*out)[j]); return a < b })
}

func (t *Topology) linkSubnets(e *errs) {
	for _, s := range t.subnets {
		var v4, v6 []netip.Prefix
		for _, p := range s.CIDRs {
			if p.Addr().Is4() {
				v4 = append(v4, p)
			} else {
				v6 = append(v6, p)
			}
		}
		s.CIDRList4, s.CIDRList6 = joinPrefixes(v4), joinPrefixes(v6)
		v, ok := t.vpcByID[s.VPCID]
		if !ok {
			if s.VPCID != "" {
				e.add(s.Pos, s.ID, "vpc", "VPC %s is not in the topology", s.VPCID)
			}
			continue
		}
		s.VPC = v
		v.subnets = append(v.subnets, s)
		for _, p := range s.CIDRs {
			if !containedIn(p, v.CIDRs) {
				e.add(s.Pos, s.ID, "cidrs", "%s is outside the CIDRs of %s (%s)", p, v.ID, joinPrefixes(v.CIDRs))
			}
		}
	}
	for _, v := range t.vpcs {
		for i, a := range v.subnets {
			for _, b := range v.subnets[i+1:] {
				for _, pa := range a.CIDRs {
					for _, pb := range b.CIDRs {
						if pa.Overlaps(pb) {
							e.add(b.Pos, b.ID, "cidrs", "%s overlaps %s of %s in the same VPC %s", pb, pa, a.ID, v.ID)
						}
					}
				}
			}
		}
	}
}

func (t *Topology) linkNACLs(e *errs) {
	defaults := map[string]*NACL{}
	assoc := map[string]*NACL{} // subnet -> NACL listing it
	for _, n := range t.nacls {
		if _, ok := t.vpcByID[n.VPCID]; !ok && n.VPCID != "" {
			e.add(n.Pos, n.ID, "vpc", "VPC %s is not in the topology", n.VPCID)
		}
		if n.Default {
			if prev, dup := defaults[n.VPCID]; dup {
				e.add(n.Pos, n.ID, "default", "VPC %s already has the default network ACL %s", n.VPCID, prev.ID)
			} else {
				defaults[n.VPCID] = n
			}
		}
		for _, sid := range n.SubnetIDs {
			s, ok := t.subByID[sid]
			if !ok {
				e.add(n.Pos, n.ID, "subnets", "subnet %s is not in the topology", sid)
				continue
			}
			if prev, dup := assoc[sid]; dup {
				e.add(n.Pos, n.ID, "subnets", "subnet %s is already associated with %s: a subnet has exactly one network ACL", sid, prev.ID)
				continue
			}
			if s.VPCID != n.VPCID {
				e.add(n.Pos, n.ID, "subnets", "subnet %s is in %s, not in this ACL's VPC %s", sid, s.VPCID, n.VPCID)
			}
			assoc[sid] = n
		}
	}
	for _, s := range t.subnets {
		listed := assoc[s.ID]
		switch {
		case s.NACLID != "":
			n, ok := t.naclByID[s.NACLID]
			if !ok {
				e.add(s.Pos, s.ID, "nacl", "network ACL %s is not in the topology", s.NACLID)
				continue
			}
			if listed != nil && listed != n {
				e.add(s.Pos, s.ID, "nacl", "says %s but %s lists this subnet: the association must agree", n.ID, listed.ID)
			}
			if n.VPCID != s.VPCID {
				e.add(s.Pos, s.ID, "nacl", "network ACL %s is in %s, not in the subnet's VPC %s", n.ID, n.VPCID, s.VPCID)
			}
			s.NACL = n
		case listed != nil:
			s.NACL = listed
		default:
			s.NACL = defaults[s.VPCID] // may be nil: no NACL known, NACL checks do not apply
		}
	}
}

func (t *Topology) linkENIs(e *errs) {
	owner := map[netip.Addr]*ENI{}
	claim := func(n *ENI, a netip.Addr, field string, ae addrEntry) {
		if prev, dup := owner[a]; dup {
			e.add(n.Pos, n.ID, field, "address %s is already used by %s", a, prev.ID)
			return
		}
		owner[a] = n
		t.byAddr[a.As16()] = ae
	}
	for _, n := range t.enis {
		if s, ok := t.subByID[n.SubnetID]; ok {
			n.Subnet = s
		} else if n.SubnetID != "" {
			e.add(n.Pos, n.ID, "subnet", "subnet %s is not in the topology", n.SubnetID)
		}
		for _, a := range n.Addresses {
			if n.Subnet != nil && !containsAddr(n.Subnet.CIDRs, a) {
				e.add(n.Pos, n.ID, "addresses", "%s is outside its subnet %s (%s)", a, n.Subnet.ID, joinPrefixes(n.Subnet.CIDRs))
			} else if n.Subnet != nil {
				if what := reservedIn(n.Subnet.CIDRs, a); what != "" {
					// A warning, not a problem: a hand-written or synthetic
					// topology (Batfish's snapshots have one) still loads.
					w := PosError{Pos: n.Pos, Item: n.ID, Field: "addresses", Problem: fmt.Sprintf("%s is %s of subnet %s, which AWS reserves: no interface can have it (a typo, or the wrong subnet?)", a, what, n.Subnet.ID)}
					t.warnings = append(t.warnings, w.Error())
				}
			}
			claim(n, a, "addresses", addrEntry{eni: n, private: a})
		}
		for _, p := range n.Prefixes {
			t.claimPrefix(n, p, e)
		}
		primary := n.PrimaryV4()
		for _, a := range n.Public {
			if !a.Is4() {
				e.add(n.Pos, n.ID, "public", "%s is not IPv4: public and Elastic IPs are IPv4 (IPv6 addresses go in addresses)", a)
				continue
			}
			if !primary.IsValid() {
				e.add(n.Pos, n.ID, "public", "%s needs a private IPv4 in addresses to map to", a)
				continue
			}
			claim(n, a, "public", addrEntry{eni: n, private: primary, public: true})
		}
		for _, gid := range n.SecurityGroupIDs {
			g, ok := t.sgByID[gid]
			if !ok {
				e.add(n.Pos, n.ID, "security_groups", "security group %s is not in the topology", gid)
				continue
			}
			// AWS attaches a group only to interfaces of its own VPC.
			if n.Subnet != nil && g.VPCID != "" && n.Subnet.VPCID != "" && g.VPCID != n.Subnet.VPCID {
				e.add(n.Pos, n.ID, "security_groups", "security group %s is in %s, not in the ENI's VPC %s (its subnet %s)", gid, g.VPCID, n.Subnet.VPCID, n.Subnet.ID)
				continue
			}
			n.Groups = append(n.Groups, g)
		}
		ids := strings.Join(n.SecurityGroupIDs, ",")
		n.GroupList = ids
		if ids == "" {
			ids = n.ID
		}
		for dir := 0; dir < 2; dir++ {
			n.sgImplicit[dir] = RuleRef{Kind: KindSG, ID: ids, Egress: dir == 1, Index: -1, Implicit: true,
				Text: fmt.Sprintf("%s %s: no rule allows it (security groups allow only what a rule permits)", ids, dirName(dir == 1))}
		}
	}
}

// claimPrefix indexes a delegated prefix of n, which must lie in n's
// subnet and overlap no other ENI's prefix.
func (t *Topology) claimPrefix(n *ENI, p netip.Prefix, e *errs) {
	p = p.Masked()
	if n.Subnet != nil && !slices.ContainsFunc(n.Subnet.CIDRs, func(c netip.Prefix) bool { return c.Bits() <= p.Bits() && c.Contains(p.Addr()) }) {
		e.add(n.Pos, n.ID, "prefixes", "%s is outside its subnet %s (%s)", p, n.Subnet.ID, joinPrefixes(n.Subnet.CIDRs))
	}
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	key := p.Addr().As16()
	for _, other := range t.prefixLens {
		if other <= bits { // an indexed prefix as long or shorter may contain p
			if owner, ok := t.byPrefix[prefixKey{mask16(key, other), other}]; ok {
				e.add(n.Pos, n.ID, "prefixes", "%s overlaps %s's delegated prefixes", p, owner.ID)
				return
			}
			continue
		}
		for k, owner := range t.byPrefix { // a longer one may lie inside p: rare, so scan
			if k.bits == other && mask16(k.addr, bits) == mask16(key, bits) {
				e.add(n.Pos, n.ID, "prefixes", "%s overlaps %s's delegated prefixes", p, owner.ID)
				return
			}
		}
	}
	t.byPrefix[prefixKey{mask16(key, bits), bits}] = n
	if !slices.Contains(t.prefixLens, bits) {
		t.prefixLens = append(t.prefixLens, bits)
		slices.Sort(t.prefixLens)
	}
}

func dirName(egress bool) string {
	if egress {
		return "egress"
	}
	return "ingress"
}

func (t *Topology) compileSGs(e *errs) {
	for i, g := range t.sgs {
		g.idx = int32(i)
		if g.VPCID != "" {
			if _, ok := t.vpcByID[g.VPCID]; !ok {
				e.add(g.Pos, g.ID, "vpc", "VPC %s is not in the topology", g.VPCID)
			}
		}
	}
	for _, n := range t.enis {
		for _, g := range n.Groups {
			n.groupIdx = append(n.groupIdx, g.idx)
			g.members = append(g.members, n.Addresses...)
			g.prefixes = append(g.prefixes, n.Prefixes...)
		}
	}
	for _, g := range t.sgs {
		sort.Slice(g.members, func(i, j int) bool { return g.members[i].Less(g.members[j]) })
		slices.SortFunc(g.prefixes, netip.Prefix.Compare)
		g.cIngress = t.compileRules(g, false, g.Ingress, e)
		g.cEgress = t.compileRules(g, true, g.Egress, e)
	}
}

func (t *Topology) compileRules(g *SecurityGroup, egress bool, rules []SGRule, e *errs) []sgRuleC {
	out := make([]sgRuleC, 0, len(rules))
	for i := range rules {
		r := &rules[i]
		item := fmt.Sprintf("%s %s[%d]", g.ID, dirName(egress), i)
		c := sgRuleC{proto: r.Proto, ports: r.Ports, icmpType: r.ICMPType, icmpCode: r.ICMPCode}
		for _, p := range r.CIDRs {
			c.prefixes = append(c.prefixes, cidrOf(p))
		}
		for _, id := range r.Groups {
			ref, ok := t.sgByID[id]
			if !ok {
				// AWS keeps such references too: a group of a peered VPC or
				// account, or a deleted group (a stale rule). It matches no
				// ENI the topology knows.
				w := PosError{Pos: r.Pos, Item: item, Field: "groups", Problem: "security group " + id +
					" is not in the topology (a peered VPC's group, or deleted): the rule matches no ENI of this topology through it"}
				t.warnings = append(t.warnings, w.Error())
				continue
			}
			c.groups = append(c.groups, ref.idx)
		}
		for _, id := range r.PrefixLists {
			pl, ok := t.plByID[id]
			if !ok {
				e.add(r.Pos, item, "prefix_lists", "prefix list %s is not in the topology", id)
				continue
			}
			if len(pl.Entries) == 0 {
				// describe-managed-prefix-lists lists no entries: an import
				// without get-managed-prefix-list-entries leaves the list
				// empty, and the rule would silently allow nothing.
				w := PosError{Pos: r.Pos, Item: item, Field: "prefix_lists", Problem: "prefix list " + id +
					" has no entries in the topology, so the rule matches nothing through it (if that is not so, add the output of aws ec2 get-managed-prefix-list-entries --prefix-list-id " + id + " as " + id + ".json and import again)"}
				t.warnings = append(t.warnings, w.Error())
			}
			for _, p := range pl.Entries {
				c.prefixes = append(c.prefixes, cidrOf(p))
			}
		}
		c.ref = RuleRef{Kind: KindSG, ID: g.ID, Egress: egress, Index: i, Pos: r.Pos, Text: sgRuleText(g.ID, egress, i, r)}
		out = append(out, c)
	}
	return out
}

// sgRuleText renders "sg-0web ingress[0] allow tcp 443 from 0.0.0.0/0, ::/0 (https)".
func sgRuleText(id string, egress bool, i int, r *SGRule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s[%d] allow %s", id, dirName(egress), i, protoPortText(r.Proto, r.Ports, r.ICMPType, r.ICMPCode))
	if egress {
		b.WriteString(" to ")
	} else {
		b.WriteString(" from ")
	}
	var peers []string
	for _, p := range r.CIDRs {
		peers = append(peers, p.String())
	}
	for _, g := range r.Groups {
		peers = append(peers, "group "+g)
	}
	for _, p := range r.PrefixLists {
		peers = append(peers, "prefix list "+p)
	}
	b.WriteString(strings.Join(peers, ", "))
	if r.Description != "" {
		fmt.Fprintf(&b, " (%s)", r.Description)
	}
	return b.String()
}

func protoPortText(p Protocol, ports PortRange, typ, code int16) string {
	switch {
	case p.hasPorts():
		return p.String() + " " + ports.String()
	case p.isICMP():
		if typ == -1 {
			return p.String() + " all types"
		}
		if code == -1 {
			return fmt.Sprintf("%s type %d", p, typ)
		}
		return fmt.Sprintf("%s type %d code %d", p, typ, code)
	}
	return p.String()
}

func compileNACL(n *NACL, e *errs) {
	for dir, entries := range [2][]NACLEntry{n.Ingress, n.Egress} {
		egress := dir == 1
		seen := map[int]Pos{}
		for i := range entries {
			en := &entries[i]
			if prev, dup := seen[en.Rule]; dup {
				e.add(en.Pos, fmt.Sprintf("%s %s #%d", n.ID, dirName(egress), en.Rule), "rule", "duplicate rule number: already used at %s", prev)
				continue
			}
			seen[en.Rule] = en.Pos
			fam := 0
			if en.CIDR.Addr().Is6() {
				fam = 1
			}
			verb := "deny"
			if en.Allow {
				verb = "allow"
			}
			text := fmt.Sprintf("%s %s #%d %s %s %s %s", n.ID, dirName(egress), en.Rule, verb,
				protoPortText(en.Proto, en.Ports, en.ICMPType, en.ICMPCode), peerWord(egress), en.CIDR)
			n.c[dir][fam] = append(n.c[dir][fam], naclEntryC{
				proto: en.Proto, ports: en.Ports, icmpType: en.ICMPType, icmpCode: en.ICMPCode,
				cidr: cidrOf(en.CIDR), allow: en.Allow,
				ref: RuleRef{Kind: KindNACL, ID: n.ID, Egress: egress, RuleNumber: en.Rule, Index: -1, Pos: en.Pos, Text: text,
					Targeted: !en.Allow && (en.Proto != ProtoAll || en.CIDR.Bits() > 0)},
			})
		}
		for fam := 0; fam < 2; fam++ {
			es := n.c[dir][fam]
			sort.SliceStable(es, func(i, j int) bool { return es[i].ref.RuleNumber < es[j].ref.RuleNumber })
			for i := range es {
				es[i].ref.FreeBelow = freeBelow(seen, es[i].ref.RuleNumber)
			}
			num, all := 32767, "0.0.0.0/0"
			if fam == 1 {
				num, all = 32768, "::/0"
			}
			n.implicit[dir][fam] = RuleRef{Kind: KindNACL, ID: n.ID, Egress: egress, RuleNumber: num, Index: -1, Implicit: true, Pos: n.Pos,
				FreeBelow: freeBelow(seen, maxNACLRule+1),
				Text:      fmt.Sprintf("%s %s * (rule %d) deny all %s %s: no entry matched", n.ID, dirName(egress), num, peerWord(egress), all)}
		}
	}
}

// maxNACLRule is the highest number a NACL entry can have (32767 and
// 32768 are the implicit denies).
const maxNACLRule = 32766

// freeBelow is the highest rule number below n that no entry of the
// direction uses (IPv4 and IPv6 entries share the numbers), or 0: a fix
// that must precede entry n goes there, and with 0 it cannot go anywhere.
func freeBelow(used map[int]Pos, n int) int {
	c := min(n-1, maxNACLRule)
	for c >= 1 {
		if _, ok := used[c]; !ok {
			return c
		}
		c--
	}
	return 0
}

func peerWord(egress bool) string {
	if egress {
		return "to"
	}
	return "from"
}

func containedIn(p netip.Prefix, in []netip.Prefix) bool {
	for _, q := range in {
		if q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func containsAddr(in []netip.Prefix, a netip.Addr) bool {
	for _, q := range in {
		if q.Contains(a) {
			return true
		}
	}
	return false
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// subnetsInsideVPCs reports whether every CIDR of every subnet lies inside
// a CIDR of the subnet's VPC.
func subnetsInsideVPCs(subnets []*Subnet) bool {
	for _, s := range subnets {
		if s.VPC == nil {
			return false
		}
		for _, p := range s.CIDRs {
			inside := false
			for _, q := range s.VPC.CIDRs {
				if q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
					inside = true
					break
				}
			}
			if !inside {
				return false
			}
		}
	}
	return true
}

// reservedIn names what a is in the IPv4 CIDR of cidrs that holds it, when
// AWS reserves it (the first four addresses and the last), else "".
func reservedIn(cidrs []netip.Prefix, a netip.Addr) string {
	if !a.Is4() {
		return ""
	}
	for _, c := range cidrs {
		if !c.Addr().Is4() || !c.Contains(a) || c.Bits() > 28 {
			continue
		}
		base := c.Masked().Addr()
		switch a {
		case base:
			return "the network address"
		case base.Next():
			return "the VPC router's address"
		case base.Next().Next():
			return "the DNS address (base + 2)"
		case base.Next().Next().Next():
			return "the address reserved for future use (base + 3)"
		}
		last := base.As4()
		n := uint32(last[0])<<24 | uint32(last[1])<<16 | uint32(last[2])<<8 | uint32(last[3])
		n |= 1<<(32-c.Bits()) - 1
		if a == netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}) {
			return "the broadcast address"
		}
	}
	return ""
}
