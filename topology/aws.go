package topology

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/flowdiag/flowdiag/flowlog"
)

// Import is a topology read from AWS describe-* JSON, before validation.
// Warnings lists what the import skipped or merged (duplicate ids across
// files, entries without a prefix list to attach to, unusable values).
type Import struct {
	Sources  []string // the JSON files read, in order
	Warnings []PosError
	spec     spec
	seen     map[string]string // "kind/id" -> file that defined it
	entries  []plEntries       // get-managed-prefix-list-entries outputs
	plFamily map[string]string // prefix list id -> AddressFamily (IPv4, IPv6)
	// jpos are the positions of the array elements of the file being read
	// (see jsonPositions), jbase the path of its describe-* keys ("" or
	// "data/" inside a wrapper).
	jpos  map[string]Pos
	jbase string
}

// at returns where the element at path (under the current file's describe-*
// keys) starts, or the file alone.
func (im *Import) at(file, path string) Pos {
	if p, ok := im.jpos[im.jbase+path]; ok {
		return p
	}
	return Pos{File: file}
}

type plEntries struct {
	file    string
	id      string // from the file name; empty when it holds no pl- id
	entries []netip.Prefix
}

// awsKeys are the top-level keys of the describe-* outputs flowdiag reads.
var awsKeys = []string{"Vpcs", "Subnets", "SecurityGroups", "SecurityGroupRules", "NetworkAcls", "NetworkInterfaces", "PrefixLists", "Entries"}

// ReadAWS reads AWS CLI JSON from files and directories (searched
// recursively; files without a known top-level key are skipped there, but
// are an error when named directly). The cloud-custodian placebo wrapper
// {"status_code": ..., "data": {...}} is unwrapped. The result is not
// validated: call Topology or WriteYAML.
func ReadAWS(paths ...string) (*Import, error) {
	im := &Import{seen: map[string]string{}}
	var e errs
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("topology import: %w", err)
		}
		if !st.IsDir() {
			im.readFile(p, true, &e)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".json") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("topology import: %w", err)
		}
		sort.Strings(files)
		for _, f := range files {
			im.readFile(f, false, &e)
		}
	}
	im.attachEntries()
	if err := e.err(); err != nil {
		return nil, err
	}
	if len(im.Sources) == 0 {
		return nil, fmt.Errorf("topology import: no AWS describe-* JSON found in %s (want files with a top-level %s key)", strings.Join(paths, ", "), strings.Join(awsKeys, ", "))
	}
	return im, nil
}

// ImportAWS reads AWS JSON (see ReadAWS) and validates it into a Topology.
func ImportAWS(paths ...string) (*Topology, error) {
	im, err := ReadAWS(paths...)
	if err != nil {
		return nil, err
	}
	return im.Topology()
}

// Topology validates the import and builds the evaluators.
func (im *Import) Topology() (*Topology, error) {
	var e errs
	cp := im.clone() // compiling links the items: im stays as read, for Problems and WriteYAML
	t := compile(strings.Join(im.Sources, ","), &cp, &e)
	if err := e.err(); err != nil {
		return nil, err
	}
	// What the import skipped is what a run on the AWS JSON lacks: say it
	// there too, not only under flowdiag topology import.
	w := make([]string, 0, len(im.Warnings)+len(t.warnings))
	for _, x := range im.Warnings {
		w = append(w, x.Error())
	}
	t.warnings = append(w, t.warnings...)
	return t, nil
}

// Problems validates the import and returns every problem found (dangling
// references to groups, subnets or ACLs not in the dump, ...), without
// failing.
func (im *Import) Problems() []PosError {
	p, _ := im.Check()
	return p
}

// Check is Problems, and also returns what the imported topology would
// warn about when loaded (rules through a prefix list without entries, a
// group another VPC owns, ...).
func (im *Import) Check() (problems []PosError, warnings []string) {
	var e errs
	cp := im.clone()
	t := compile("", &cp, &e)
	if err := e.err(); err != nil {
		// The warnings too: the user is about to export again.
		return err.(*ErrorList).Errors, t.warnings
	}
	return nil, t.warnings
}

// clone copies the spec deeply enough that compiling it leaves im unchanged.
func (im *Import) clone() spec {
	var s spec
	for _, v := range im.spec.VPCs {
		c := *v
		s.VPCs = append(s.VPCs, &c)
	}
	for _, v := range im.spec.Subnets {
		c := *v
		s.Subnets = append(s.Subnets, &c)
	}
	for _, v := range im.spec.SecurityGroups {
		c := *v
		s.SecurityGroups = append(s.SecurityGroups, &c)
	}
	for _, v := range im.spec.NACLs {
		c := *v
		s.NACLs = append(s.NACLs, &c)
	}
	for _, v := range im.spec.ENIs {
		c := *v
		s.ENIs = append(s.ENIs, &c)
	}
	for _, v := range im.spec.PrefixLists {
		c := *v
		s.PrefixLists = append(s.PrefixLists, &c)
	}
	return s
}

func (im *Import) warn(file, item, field, format string, args ...any) {
	im.Warnings = append(im.Warnings, PosError{Pos: Pos{File: file}, Item: item, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// first reports whether kind/id is new, and warns when it is a duplicate.
func (im *Import) first(file, kind, id string) bool {
	k := kind + "/" + id
	if prev, ok := im.seen[k]; ok {
		if prev != file {
			im.warn(file, id, "", "also defined in %s: kept that one", prev)
		} else {
			im.warn(file, id, "", "defined twice in the file: kept the first")
		}
		return false
	}
	im.seen[k] = file
	return true
}

// jsonPos turns a byte offset into a line and column.
func jsonPos(file string, data []byte, off int64) Pos {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return Pos{File: file, Line: line, Col: col}
}

func jsonErr(file string, data []byte, err error, e *errs) {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		e.add(jsonPos(file, data, se.Offset), "", "", "invalid JSON: %s", se)
	case errors.As(err, &te):
		e.add(jsonPos(file, data, te.Offset), "", te.Field, "want %s, got JSON %s", te.Type, te.Value)
	default:
		e.add(Pos{File: file}, "", "", "invalid JSON: %s", err)
	}
}

var plIDInName = regexp.MustCompile(`pl-[0-9a-zA-Z]+`)

func (im *Import) readFile(file string, explicit bool, e *errs) {
	data, err := os.ReadFile(file)
	if err != nil {
		e.add(Pos{File: file}, "", "", "%s", err)
		return
	}
	im.readData(file, data, explicit, e)
}

// readData reads one JSON document; explicit says the file was named by the
// user (so a file with nothing flowdiag knows is an error).
func (im *Import) readData(file string, data []byte, explicit bool, e *errs) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		if explicit {
			jsonErr(file, data, err, e)
		}
		return
	}
	im.jpos, im.jbase = jsonPositions(file, data), ""
	if raw, ok := top["data"]; ok && top["status_code"] != nil {
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(raw, &inner); err != nil {
			jsonErr(file, data, err, e)
			return
		}
		top = inner
		im.jbase = "data/"
	}
	found := false
	for _, k := range awsKeys {
		raw, ok := top[k]
		if !ok {
			continue
		}
		found = true
		var err error
		switch k {
		case "Vpcs":
			err = im.vpcs(file, raw)
		case "Subnets":
			err = im.subnets(file, raw)
		case "SecurityGroups":
			err = im.securityGroups(file, raw)
		case "SecurityGroupRules":
			err = im.securityGroupRules(file, raw)
		case "NetworkAcls":
			err = im.nacls(file, raw)
		case "NetworkInterfaces":
			err = im.enis(file, raw)
		case "PrefixLists":
			err = im.prefixLists(file, raw)
		case "Entries":
			err = im.prefixListEntries(file, raw)
		}
		if err != nil {
			jsonErr(file, data, err, e)
		}
	}
	if !found {
		if explicit {
			e.add(Pos{File: file}, "", "", "no AWS describe-* output found: want a top-level %s key", strings.Join(awsKeys, ", "))
		}
		return
	}
	im.Sources = append(im.Sources, file)
}

type awsTag struct{ Key, Value string }

func nameTag(tags []awsTag) string {
	for _, t := range tags {
		if t.Key == "Name" {
			return t.Value
		}
	}
	return ""
}

type awsCIDRState struct {
	CidrBlock          string
	Ipv6CidrBlock      string
	CidrBlockState     struct{ State string }
	Ipv6CidrBlockState struct{ State string }
}

// usable reports whether an association is live (disassociated blocks are
// listed with their state).
func (a awsCIDRState) usable() bool {
	st := a.CidrBlockState.State + a.Ipv6CidrBlockState.State
	return st == "" || st == "associated" || st == "associating"
}

func (im *Import) prefix(file, item, field, s string, dst *[]netip.Prefix) {
	if s == "" {
		return
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		im.warn(file, item, field, "%q is not a CIDR: skipped", s)
		return
	}
	p = p.Masked()
	for _, q := range *dst {
		if q == p {
			return
		}
	}
	*dst = append(*dst, p)
}

// sgPrefix is prefix for a security group rule of protocol proto. A CIDR of
// the IP family the protocol cannot travel over (icmpv6 with IPv4, icmp
// with IPv6) never matches and would not load from the written YAML: it is
// skipped with a warning, which changes nothing the rule allows.
func (im *Import) sgPrefix(file, item, field string, proto Protocol, s string, dst *[]netip.Prefix) {
	var one []netip.Prefix
	im.prefix(file, item, field, s, &one)
	for _, c := range one {
		if proto.otherFamily(c) {
			im.warn(file, item, field, "%s with the CIDR %s never matches (ICMP is IPv4's, ICMPv6 IPv6's): skipped", proto, c)
			continue
		}
		im.prefix(file, item, field, c.String(), dst)
	}
}

func (im *Import) vpcs(file string, raw json.RawMessage) error {
	var in []struct {
		VpcId                       string
		CidrBlock                   string
		CidrBlockAssociationSet     []awsCIDRState
		Ipv6CidrBlockAssociationSet []awsCIDRState
		Tags                        []awsTag
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	for vi, v := range in {
		if v.VpcId == "" || !im.first(file, "vpc", v.VpcId) {
			continue
		}
		out := &VPC{ID: v.VpcId, Name: nameTag(v.Tags), Pos: im.at(file, "Vpcs/"+strconv.Itoa(vi))}
		im.prefix(file, v.VpcId, "CidrBlock", v.CidrBlock, &out.CIDRs)
		for _, a := range v.CidrBlockAssociationSet {
			if a.usable() {
				im.prefix(file, v.VpcId, "CidrBlockAssociationSet", a.CidrBlock, &out.CIDRs)
			}
		}
		for _, a := range v.Ipv6CidrBlockAssociationSet {
			if a.usable() {
				im.prefix(file, v.VpcId, "Ipv6CidrBlockAssociationSet", a.Ipv6CidrBlock, &out.CIDRs)
			}
		}
		im.spec.VPCs = append(im.spec.VPCs, out)
	}
	return nil
}

func (im *Import) subnets(file string, raw json.RawMessage) error {
	var in []struct {
		SubnetId, VpcId, CidrBlock, AvailabilityZone string
		Ipv6CidrBlockAssociationSet                  []awsCIDRState
		Tags                                         []awsTag
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	for si, s := range in {
		if s.SubnetId == "" || !im.first(file, "subnet", s.SubnetId) {
			continue
		}
		out := &Subnet{ID: s.SubnetId, Name: nameTag(s.Tags), VPCID: s.VpcId, AZ: s.AvailabilityZone, Pos: im.at(file, "Subnets/"+strconv.Itoa(si))}
		im.prefix(file, s.SubnetId, "CidrBlock", s.CidrBlock, &out.CIDRs)
		for _, a := range s.Ipv6CidrBlockAssociationSet {
			if a.usable() {
				im.prefix(file, s.SubnetId, "Ipv6CidrBlockAssociationSet", a.Ipv6CidrBlock, &out.CIDRs)
			}
		}
		im.spec.Subnets = append(im.spec.Subnets, out)
	}
	return nil
}

type awsPerm struct {
	IpProtocol       string
	FromPort, ToPort *int
	IpRanges         []struct{ CidrIp, Description string }
	Ipv6Ranges       []struct{ CidrIpv6, Description string }
	PrefixListIds    []struct{ PrefixListId, Description string }
	UserIdGroupPairs []struct{ GroupId, UserId, Description string }
}

// protoPorts converts AWS protocol and from/to ports.
func (im *Import) protoPorts(file, item, proto string, from, to *int) (Protocol, PortRange, int16, int16, bool) {
	p, err := ParseProtocol(proto)
	if err != nil {
		im.warn(file, item, "IpProtocol", "%q is not a protocol: rule skipped", proto)
		return 0, PortRange{}, 0, 0, false
	}
	ports, typ, code := AllPorts, int16(-1), int16(-1)
	switch {
	case p.hasPorts():
		switch {
		case from == nil && to == nil, from != nil && to != nil && *from == -1 && *to == -1:
			// no range given: all ports
		case from != nil && to != nil && *from >= 0 && *to >= *from && *to <= 65535:
			ports = PortRange{uint16(*from), uint16(*to)}
		default:
			im.warn(file, item, "ports", "%s is not a port range (want 0-65535, from <= to): rule skipped", rangeText(from, to))
			return 0, PortRange{}, 0, 0, false
		}
	case p.isICMP():
		if from != nil && (*from < -1 || *from > 255) || to != nil && (*to < -1 || *to > 255) {
			im.warn(file, item, "icmp", "ICMP type/code %s is out of range (want -1 or 0-255): rule skipped", rangeText(from, to))
			return 0, PortRange{}, 0, 0, false
		}
		if from != nil && *from >= 0 {
			typ = int16(*from)
			if to != nil && *to >= 0 {
				code = int16(*to)
			}
		}
	}
	return p, ports, typ, code, true
}

func rangeText(from, to *int) string {
	f := func(p *int) string {
		if p == nil {
			return "(none)"
		}
		return fmt.Sprint(*p)
	}
	return f(from) + " to " + f(to)
}

func (im *Import) permissions(file, gid string, egress bool, perms []awsPerm, path string) []SGRule {
	var out []SGRule
	for i, p := range perms {
		item := fmt.Sprintf("%s %s permission %d", gid, dirName(egress), i)
		proto, ports, typ, code, ok := im.protoPorts(file, item, p.IpProtocol, p.FromPort, p.ToPort)
		if !ok {
			continue
		}
		// One rule per distinct description, peers in AWS order.
		byDesc := map[string]int{}
		rule := func(desc string) *SGRule {
			j, ok := byDesc[desc]
			if !ok {
				j = len(out)
				byDesc[desc] = j
				out = append(out, SGRule{Proto: proto, Ports: ports, ICMPType: typ, ICMPCode: code, Description: desc, Pos: im.at(file, path+strconv.Itoa(i))})
			}
			return &out[j]
		}
		for _, r := range p.IpRanges {
			im.sgPrefix(file, item, "IpRanges", proto, r.CidrIp, &rule(r.Description).CIDRs)
		}
		for _, r := range p.Ipv6Ranges {
			im.sgPrefix(file, item, "Ipv6Ranges", proto, r.CidrIpv6, &rule(r.Description).CIDRs)
		}
		for _, r := range p.PrefixListIds {
			if r.PrefixListId != "" {
				x := rule(r.Description)
				x.PrefixLists = append(x.PrefixLists, r.PrefixListId)
			}
		}
		for _, r := range p.UserIdGroupPairs {
			if r.GroupId != "" {
				x := rule(r.Description)
				x.Groups = append(x.Groups, r.GroupId)
			}
		}
	}
	// A rule whose every peer was skipped (a bad CIDR) would allow nothing
	// and does not validate: drop it, said once.
	kept := out[:0]
	for _, r := range out {
		if len(r.CIDRs)+len(r.Groups)+len(r.PrefixLists) == 0 {
			im.warn(file, gid+" "+dirName(egress), "", "a %s rule has no valid peer left: rule skipped", r.Proto)
			continue
		}
		kept = append(kept, r)
	}
	return kept
}

func (im *Import) securityGroups(file string, raw json.RawMessage) error {
	var in []struct {
		GroupId, GroupName, Description, VpcId string
		IpPermissions, IpPermissionsEgress     []awsPerm
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	for gi, g := range in {
		if g.GroupId == "" || !im.first(file, "sg", g.GroupId) {
			continue
		}
		base := "SecurityGroups/" + strconv.Itoa(gi)
		im.spec.SecurityGroups = append(im.spec.SecurityGroups, &SecurityGroup{
			ID: g.GroupId, Name: g.GroupName, VPCID: g.VpcId, Description: g.Description, Pos: im.at(file, base),
			Ingress: im.permissions(file, g.GroupId, false, g.IpPermissions, base+"/IpPermissions/"),
			Egress:  im.permissions(file, g.GroupId, true, g.IpPermissionsEgress, base+"/IpPermissionsEgress/"),
		})
	}
	return nil
}

// securityGroupRules reads describe-security-group-rules. Rules of a group
// already read from describe-security-groups are skipped (same rules); other
// groups are created from their rules, without VPC or name.
func (im *Import) securityGroupRules(file string, raw json.RawMessage) error {
	var in []struct {
		SecurityGroupRuleId, GroupId                  string
		IsEgress                                      bool
		IpProtocol                                    string
		FromPort, ToPort                              *int
		CidrIpv4, CidrIpv6, PrefixListId, Description string
		ReferencedGroupInfo                           *struct{ GroupId string }
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	created := map[string]*SecurityGroup{}
	for ri, r := range in {
		if r.GroupId == "" {
			continue
		}
		g := created[r.GroupId]
		if g == nil {
			if prev, ok := im.seen["sg/"+r.GroupId]; ok {
				if prev != file {
					im.warn(file, r.GroupId, "", "rules also listed by %s: kept those", prev)
				}
				continue
			}
			im.seen["sg/"+r.GroupId] = file
			g = &SecurityGroup{ID: r.GroupId, Pos: im.at(file, "SecurityGroupRules/"+strconv.Itoa(ri))}
			created[r.GroupId] = g
			im.spec.SecurityGroups = append(im.spec.SecurityGroups, g)
		}
		item := r.GroupId + " " + r.SecurityGroupRuleId
		proto, ports, typ, code, ok := im.protoPorts(file, item, r.IpProtocol, r.FromPort, r.ToPort)
		if !ok {
			continue
		}
		rule := SGRule{Proto: proto, Ports: ports, ICMPType: typ, ICMPCode: code, Description: r.Description, Pos: im.at(file, "SecurityGroupRules/"+strconv.Itoa(ri))}
		im.sgPrefix(file, item, "CidrIpv4", proto, r.CidrIpv4, &rule.CIDRs)
		im.sgPrefix(file, item, "CidrIpv6", proto, r.CidrIpv6, &rule.CIDRs)
		if r.PrefixListId != "" {
			rule.PrefixLists = []string{r.PrefixListId}
		}
		if r.ReferencedGroupInfo != nil && r.ReferencedGroupInfo.GroupId != "" {
			rule.Groups = []string{r.ReferencedGroupInfo.GroupId}
		}
		if len(rule.CIDRs)+len(rule.PrefixLists)+len(rule.Groups) == 0 {
			im.warn(file, item, "", "rule has no peer: skipped")
			continue
		}
		if r.IsEgress {
			g.Egress = append(g.Egress, rule)
		} else {
			g.Ingress = append(g.Ingress, rule)
		}
	}
	return nil
}

func (im *Import) nacls(file string, raw json.RawMessage) error {
	var in []struct {
		NetworkAclId, VpcId string
		IsDefault           bool
		Associations        []struct{ SubnetId string }
		Entries             []struct {
			RuleNumber                                     int
			Egress                                         bool
			Protocol, RuleAction, CidrBlock, Ipv6CidrBlock string
			PortRange                                      *struct{ From, To *int }
			IcmpTypeCode                                   *struct{ Type, Code *int }
		}
		Tags []awsTag
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	for ai, a := range in {
		if a.NetworkAclId == "" || !im.first(file, "acl", a.NetworkAclId) {
			continue
		}
		base := "NetworkAcls/" + strconv.Itoa(ai)
		out := &NACL{ID: a.NetworkAclId, Name: nameTag(a.Tags), VPCID: a.VpcId, Default: a.IsDefault, Pos: im.at(file, base)}
		for _, s := range a.Associations {
			if s.SubnetId != "" {
				out.SubnetIDs = append(out.SubnetIDs, s.SubnetId)
			}
		}
		for ei, en := range a.Entries {
			if en.RuleNumber == 32767 || en.RuleNumber == 32768 {
				continue // the implicit deny; the evaluator applies it
			}
			if en.RuleNumber < 1 || en.RuleNumber > 32766 {
				im.warn(file, a.NetworkAclId+" "+dirName(en.Egress), "RuleNumber", "%d is not a rule number (want 1-32766): entry skipped", en.RuleNumber)
				continue
			}
			item := fmt.Sprintf("%s %s #%d", a.NetworkAclId, dirName(en.Egress), en.RuleNumber)
			var from, to *int
			if en.PortRange != nil {
				from, to = en.PortRange.From, en.PortRange.To
			}
			if en.IcmpTypeCode != nil {
				from, to = en.IcmpTypeCode.Type, en.IcmpTypeCode.Code
			}
			proto, ports, typ, code, ok := im.protoPorts(file, item, en.Protocol, from, to)
			if !ok {
				continue
			}
			var cidrs []netip.Prefix
			im.prefix(file, item, "CidrBlock", en.CidrBlock, &cidrs)
			im.prefix(file, item, "Ipv6CidrBlock", en.Ipv6CidrBlock, &cidrs)
			if len(cidrs) != 1 {
				im.warn(file, item, "CidrBlock", "want exactly one CIDR: entry skipped")
				continue
			}
			if proto.otherFamily(cidrs[0]) {
				if proto != Protocol(flowlog.ProtoICMPv6) {
					im.warn(file, item, "Protocol", "icmp (1) with the IPv6 CIDR %s never matches (ICMP for IPv6 is protocol 58): entry skipped", cidrs[0])
					continue
				}
				// CreateNetworkAclEntry: "If you specify protocol 58
				// (ICMPv6) and specify an IPv4 CIDR block, traffic for all
				// ICMP types and codes allowed, regardless of any that you
				// specify." Written as icmpv6 it would match nothing.
				im.warn(file, item, "Protocol", "58 (icmpv6) with the IPv4 CIDR %s: AWS applies it to all ICMP types and codes: imported as icmp, all types", cidrs[0])
				proto, typ, code = Protocol(flowlog.ProtoICMP), -1, -1
			}
			e := NACLEntry{Rule: en.RuleNumber, Proto: proto, Ports: ports, ICMPType: typ, ICMPCode: code,
				CIDR: cidrs[0], Allow: strings.EqualFold(en.RuleAction, "allow"), Pos: im.at(file, base+"/Entries/"+strconv.Itoa(ei))}
			if en.Egress {
				out.Egress = append(out.Egress, e)
			} else {
				out.Ingress = append(out.Ingress, e)
			}
		}
		sortEntries(out.Ingress)
		sortEntries(out.Egress)
		im.spec.NACLs = append(im.spec.NACLs, out)
	}
	return nil
}

func sortEntries(es []NACLEntry) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Rule < es[j].Rule })
}

func (im *Import) enis(file string, raw json.RawMessage) error {
	type assoc struct{ PublicIp string }
	var in []struct {
		NetworkInterfaceId, SubnetId, InterfaceType, Description, PrivateIpAddress, RequesterId string
		PrivateIpAddresses                                                                      []struct {
			PrivateIpAddress string
			Primary          bool
			Association      *assoc
		}
		Ipv6Addresses []struct{ Ipv6Address string }
		Ipv4Prefixes  []struct{ Ipv4Prefix string }
		Ipv6Prefixes  []struct{ Ipv6Prefix string }
		Association   *assoc
		Attachment    *struct{ InstanceId string }
		Groups        []struct{ GroupId string }
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	for ni, n := range in {
		if n.NetworkInterfaceId == "" || !im.first(file, "eni", n.NetworkInterfaceId) {
			continue
		}
		id := n.NetworkInterfaceId
		out := &ENI{ID: id, SubnetID: n.SubnetId, Type: n.InterfaceType, Description: n.Description, Pos: im.at(file, "NetworkInterfaces/"+strconv.Itoa(ni))}
		addAddr := func(dst *[]netip.Addr, field, s string) {
			if s == "" {
				return
			}
			a, err := netip.ParseAddr(s)
			if err != nil {
				im.warn(file, id, field, "%q is not an address: skipped", s)
				return
			}
			for _, b := range *dst {
				if b == a {
					return
				}
			}
			*dst = append(*dst, a)
		}
		addAddr(&out.Addresses, "PrivateIpAddress", n.PrivateIpAddress) // the primary comes first
		for _, p := range n.PrivateIpAddresses {
			if p.Primary {
				addAddr(&out.Addresses, "PrivateIpAddresses", p.PrivateIpAddress)
			}
		}
		for _, p := range n.PrivateIpAddresses {
			addAddr(&out.Addresses, "PrivateIpAddresses", p.PrivateIpAddress)
		}
		for _, p := range n.Ipv6Addresses {
			addAddr(&out.Addresses, "Ipv6Addresses", p.Ipv6Address)
		}
		addPrefix := func(field, s string) {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				im.warn(file, id, field, "%q is not a CIDR: skipped", s)
				return
			}
			if p = p.Masked(); !slices.Contains(out.Prefixes, p) {
				out.Prefixes = append(out.Prefixes, p)
			}
		}
		for _, p := range n.Ipv4Prefixes {
			addPrefix("Ipv4Prefixes", p.Ipv4Prefix)
		}
		for _, p := range n.Ipv6Prefixes {
			addPrefix("Ipv6Prefixes", p.Ipv6Prefix)
		}
		if n.Association != nil {
			addAddr(&out.Public, "Association", n.Association.PublicIp)
		}
		for _, p := range n.PrivateIpAddresses {
			if p.Association != nil {
				addAddr(&out.Public, "PrivateIpAddresses.Association", p.Association.PublicIp)
			}
		}
		for _, g := range n.Groups {
			if g.GroupId != "" {
				out.SecurityGroupIDs = append(out.SecurityGroupIDs, g.GroupId)
			}
		}
		switch {
		case n.Attachment != nil && n.Attachment.InstanceId != "":
			out.Owner = n.Attachment.InstanceId
		case n.InterfaceType != "" && n.InterfaceType != "interface":
			out.Owner = n.InterfaceType
		case n.RequesterId != "":
			out.Owner = n.RequesterId
		}
		im.spec.ENIs = append(im.spec.ENIs, out)
	}
	return nil
}

// prefixLists reads describe-managed-prefix-lists (no entries) and the older
// describe-prefix-lists (AWS service lists with Cidrs).
func (im *Import) prefixLists(file string, raw json.RawMessage) error {
	var in []struct {
		PrefixListId, PrefixListName, AddressFamily string
		Cidrs                                       []string
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	for pi, p := range in {
		if p.PrefixListId == "" || !im.first(file, "pl", p.PrefixListId) {
			continue
		}
		out := &PrefixList{ID: p.PrefixListId, Name: p.PrefixListName, Pos: im.at(file, "PrefixLists/"+strconv.Itoa(pi))}
		if p.AddressFamily != "" {
			if im.plFamily == nil {
				im.plFamily = map[string]string{}
			}
			im.plFamily[p.PrefixListId] = p.AddressFamily
		}
		for _, c := range p.Cidrs {
			im.prefix(file, p.PrefixListId, "Cidrs", c, &out.Entries)
		}
		im.spec.PrefixLists = append(im.spec.PrefixLists, out)
	}
	return nil
}

// prefixListEntries reads get-managed-prefix-list-entries. Its output does
// not name the list: the id is taken from the file name (pl-....json) or,
// failing that, the entries go to the only prefix list without entries.
func (im *Import) prefixListEntries(file string, raw json.RawMessage) error {
	var in []struct{ Cidr string }
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	pe := plEntries{file: file, id: plIDInName.FindString(filepath.Base(file))}
	for _, c := range in {
		im.prefix(file, pe.id, "Cidr", c.Cidr, &pe.entries)
	}
	im.entries = append(im.entries, pe)
	return nil
}

// entriesFamily is "IPv4" or "IPv6" when all entries are of that family,
// else "".
func entriesFamily(es []netip.Prefix) string {
	fam := ""
	for _, e := range es {
		f := "IPv4"
		if e.Addr().Is6() {
			f = "IPv6"
		}
		if fam != "" && f != fam {
			return ""
		}
		fam = f
	}
	return fam
}

func (im *Import) attachEntries() {
	for _, pe := range im.entries {
		var target *PrefixList
		if pe.id != "" {
			for _, p := range im.spec.PrefixLists {
				if p.ID == pe.id {
					target = p
				}
			}
			if f, ok := im.plFamily[pe.id]; ok {
				if ef := entriesFamily(pe.entries); ef != "" && ef != f {
					im.warn(pe.file, pe.id, "Entries", "%s is an %s list but the file holds %s entries (the wrong file?): attached as they are", pe.id, f, ef)
				}
			}
			if target == nil {
				target = &PrefixList{ID: pe.id, Pos: Pos{File: pe.file}}
				im.spec.PrefixLists = append(im.spec.PrefixLists, target)
			}
		} else {
			// The list without entries, of the entries' address family
			// when describe-managed-prefix-lists gave one.
			fam := entriesFamily(pe.entries)
			var empty []*PrefixList
			for _, p := range im.spec.PrefixLists {
				if f, ok := im.plFamily[p.ID]; len(p.Entries) == 0 && (!ok || fam == "" || f == fam) {
					empty = append(empty, p)
				}
			}
			if len(empty) != 1 {
				im.warn(pe.file, "", "Entries", "prefix list entries without a list id: name the file after the list (pl-....json) so they can be attached; skipped")
				continue
			}
			target = empty[0]
		}
		for _, p := range pe.entries {
			im.prefix(pe.file, target.ID, "Entries", p.String(), &target.Entries)
		}
	}
}
