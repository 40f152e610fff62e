package flowlog

import "strings"

// Field identifies one flow log field that flowdiag knows by name.
type Field uint8

// Known fields, VPC (versions 2-8 and the newer resource-id and
// encryption-status) and Transit Gateway (version 6).
const (
	FieldInvalid Field = iota
	FieldVersion
	FieldAccountID
	FieldInterfaceID
	FieldSrcAddr
	FieldDstAddr
	FieldSrcPort
	FieldDstPort
	FieldProtocol
	FieldPackets
	FieldBytes
	FieldStart
	FieldEnd
	FieldAction
	FieldLogStatus
	// version 3
	FieldVPCID
	FieldSubnetID
	FieldInstanceID
	FieldTCPFlags
	FieldType
	FieldPktSrcAddr
	FieldPktDstAddr
	// version 4
	FieldRegion
	FieldAZID
	FieldSublocationType
	FieldSublocationID
	// version 5
	FieldPktSrcAWSService
	FieldPktDstAWSService
	FieldFlowDirection
	FieldTrafficPath
	// version 7 (ECS)
	FieldECSClusterARN
	FieldECSClusterName
	FieldECSContainerInstanceARN
	FieldECSContainerInstanceID
	FieldECSContainerID
	FieldECSSecondContainerID
	FieldECSServiceName
	FieldECSTaskDefinitionARN
	FieldECSTaskARN
	FieldECSTaskID
	// version 8 and later
	FieldRejectReason
	FieldResourceID
	FieldEncryptionStatus
	// Transit Gateway (version 6)
	FieldResourceType
	FieldTGWID
	FieldTGWAttachmentID
	FieldTGWSrcVPCAccountID
	FieldTGWDstVPCAccountID
	FieldTGWSrcVPCID
	FieldTGWDstVPCID
	FieldTGWSrcSubnetID
	FieldTGWDstSubnetID
	FieldTGWSrcENI
	FieldTGWDstENI
	FieldTGWSrcAZID
	FieldTGWDstAZID
	FieldTGWPairAttachmentID
	FieldPacketsLostNoRoute
	FieldPacketsLostBlackhole
	FieldPacketsLostMTUExceeded
	FieldPacketsLostTTLExpired

	numFields
)

// NumFields is one more than the highest Field value.
const NumFields = int(numFields)

type fieldInfo struct {
	name    string // AWS spelling, e.g. "account-id"
	version int    // version that introduced it
	tgw     bool   // Transit Gateway only
}

var fieldTable = [numFields]fieldInfo{
	FieldVersion:                 {"version", 2, false},
	FieldAccountID:               {"account-id", 2, false},
	FieldInterfaceID:             {"interface-id", 2, false},
	FieldSrcAddr:                 {"srcaddr", 2, false},
	FieldDstAddr:                 {"dstaddr", 2, false},
	FieldSrcPort:                 {"srcport", 2, false},
	FieldDstPort:                 {"dstport", 2, false},
	FieldProtocol:                {"protocol", 2, false},
	FieldPackets:                 {"packets", 2, false},
	FieldBytes:                   {"bytes", 2, false},
	FieldStart:                   {"start", 2, false},
	FieldEnd:                     {"end", 2, false},
	FieldAction:                  {"action", 2, false},
	FieldLogStatus:               {"log-status", 2, false},
	FieldVPCID:                   {"vpc-id", 3, false},
	FieldSubnetID:                {"subnet-id", 3, false},
	FieldInstanceID:              {"instance-id", 3, false},
	FieldTCPFlags:                {"tcp-flags", 3, false},
	FieldType:                    {"type", 3, false},
	FieldPktSrcAddr:              {"pkt-srcaddr", 3, false},
	FieldPktDstAddr:              {"pkt-dstaddr", 3, false},
	FieldRegion:                  {"region", 4, false},
	FieldAZID:                    {"az-id", 4, false},
	FieldSublocationType:         {"sublocation-type", 4, false},
	FieldSublocationID:           {"sublocation-id", 4, false},
	FieldPktSrcAWSService:        {"pkt-src-aws-service", 5, false},
	FieldPktDstAWSService:        {"pkt-dst-aws-service", 5, false},
	FieldFlowDirection:           {"flow-direction", 5, false},
	FieldTrafficPath:             {"traffic-path", 5, false},
	FieldECSClusterARN:           {"ecs-cluster-arn", 7, false},
	FieldECSClusterName:          {"ecs-cluster-name", 7, false},
	FieldECSContainerInstanceARN: {"ecs-container-instance-arn", 7, false},
	FieldECSContainerInstanceID:  {"ecs-container-instance-id", 7, false},
	FieldECSContainerID:          {"ecs-container-id", 7, false},
	FieldECSSecondContainerID:    {"ecs-second-container-id", 7, false},
	FieldECSServiceName:          {"ecs-service-name", 7, false},
	FieldECSTaskDefinitionARN:    {"ecs-task-definition-arn", 7, false},
	FieldECSTaskARN:              {"ecs-task-arn", 7, false},
	FieldECSTaskID:               {"ecs-task-id", 7, false},
	FieldRejectReason:            {"reject-reason", 8, false},
	FieldResourceID:              {"resource-id", 9, false},
	FieldEncryptionStatus:        {"encryption-status", 10, false},
	FieldResourceType:            {"resource-type", 6, true},
	FieldTGWID:                   {"tgw-id", 6, true},
	FieldTGWAttachmentID:         {"tgw-attachment-id", 6, true},
	FieldTGWSrcVPCAccountID:      {"tgw-src-vpc-account-id", 6, true},
	FieldTGWDstVPCAccountID:      {"tgw-dst-vpc-account-id", 6, true},
	FieldTGWSrcVPCID:             {"tgw-src-vpc-id", 6, true},
	FieldTGWDstVPCID:             {"tgw-dst-vpc-id", 6, true},
	FieldTGWSrcSubnetID:          {"tgw-src-subnet-id", 6, true},
	FieldTGWDstSubnetID:          {"tgw-dst-subnet-id", 6, true},
	FieldTGWSrcENI:               {"tgw-src-eni", 6, true},
	FieldTGWDstENI:               {"tgw-dst-eni", 6, true},
	FieldTGWSrcAZID:              {"tgw-src-az-id", 6, true},
	FieldTGWDstAZID:              {"tgw-dst-az-id", 6, true},
	FieldTGWPairAttachmentID:     {"tgw-pair-attachment-id", 6, true},
	FieldPacketsLostNoRoute:      {"packets-lost-no-route", 6, true},
	FieldPacketsLostBlackhole:    {"packets-lost-blackhole", 6, true},
	FieldPacketsLostMTUExceeded:  {"packets-lost-mtu-exceeded", 6, true},
	FieldPacketsLostTTLExpired:   {"packets-lost-ttl-expired", 6, true},
}

// String returns the AWS field name ("account-id").
func (f Field) String() string {
	if f > FieldInvalid && f < numFields {
		return fieldTable[f].name
	}
	return "invalid-field"
}

// Version returns the flow log version that introduced f.
func (f Field) Version() int {
	if f < numFields {
		return fieldTable[f].version
	}
	return 0
}

// TransitGatewayOnly reports whether f exists only in Transit Gateway logs.
func (f Field) TransitGatewayOnly() bool { return f < numFields && fieldTable[f].tgw }

// LookupField finds a field by name, accepting AWS's hyphen spelling
// ("account-id"), the underscore spelling of Parquet columns and other tools
// ("account_id"), and any letter case.
func LookupField(name string) (Field, bool) {
	n := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "_", "-"))
	for f := FieldVersion; f < numFields; f++ {
		if fieldTable[f].name == n {
			return f, true
		}
	}
	return FieldInvalid, false
}

// FieldNames returns every known field name, in Field order.
func FieldNames() []string {
	out := make([]string, 0, numFields-1)
	for f := FieldVersion; f < numFields; f++ {
		out = append(out, fieldTable[f].name)
	}
	return out
}

// FieldSet is a set of fields, used by Record to say which fields were
// present (in the format and not "-").
type FieldSet uint64

// Has reports whether f is in the set.
func (s FieldSet) Has(f Field) bool { return s&(1<<f) != 0 }

// Add adds f to the set.
func (s *FieldSet) Add(f Field) { *s |= 1 << f }

// Remove removes f from the set.
func (s *FieldSet) Remove(f Field) { *s &^= 1 << f }

// The field table must fit a FieldSet.
var _ = [64 - numFields]struct{}{}
