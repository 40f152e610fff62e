package review

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/flowdiag/flowdiag/rules"
)

// SARIF 2.1.0 (OASIS): https://docs.oasis-open.org/sarif/sarif/v2.1.0/
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string        `json:"id"`
	Name                 string        `json:"name,omitempty"`
	ShortDescription     sarifText     `json:"shortDescription"`
	FullDescription      *sarifText    `json:"fullDescription,omitempty"`
	DefaultConfiguration sarifRuleConf `json:"defaultConfiguration"`
	Properties           *sarifProps   `json:"properties,omitempty"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifProps struct {
	Tags     []string `json:"tags,omitempty"`
	Severity string   `json:"flowdiag-severity,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID           string            `json:"ruleId"`
	RuleIndex        int               `json:"ruleIndex"`
	Level            string            `json:"level"`
	Kind             string            `json:"kind,omitempty"`
	Message          sarifText         `json:"message"`
	Locations        []sarifLocation   `json:"locations"`
	RelatedLocations []sarifLocation   `json:"relatedLocations,omitempty"`
	Suppressions     []sarifSuppress   `json:"suppressions,omitempty"`
	Properties       map[string]string `json:"properties,omitempty"`
}

type sarifLocation struct {
	ID               int            `json:"id,omitempty"`
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

type sarifSuppress struct {
	Kind          string `json:"kind"`
	Status        string `json:"status,omitempty"`
	Justification string `json:"justification,omitempty"`
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s rules.Severity) string {
	switch {
	case s >= rules.SeverityError:
		return "error"
	case s == rules.SeverityWarning:
		return "warning"
	}
	return "note"
}

// uri renders a file path as an RFC 3986 URI reference, as SARIF requires:
// a relative path stays a relative reference (forward slashes, "./"
// dropped), an absolute one becomes a file: URI, and characters such as a
// space or '#' are percent-encoded so that code-scanning tools find the file.
func uri(path string) string {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows drive: file:///C:/...
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(p, "./")}).String()
}

// WriteSARIF writes the findings as one SARIF 2.1.0 run. The rules are the
// policy's prohibitions (and expired-exception); each result points at the
// topology or policy line for rule and exception findings, and names the
// flow and ENI as logical locations, with the evidence records as related
// locations, for traffic findings.
func WriteSARIF(w io.Writer, p *Policy, fs []Finding, version string) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{
		Name: "flowdiag", InformationURI: "https://github.com/flowdiag/flowdiag", Version: version,
		Rules: []sarifRule{},
	}}, Results: []sarifResult{}}
	index := map[string]int{}
	for _, pr := range p.Prohibitions {
		index[pr.ID] = len(run.Tool.Driver.Rules)
		r := sarifRule{
			ID: pr.ID, Name: sarifName(pr.ID), ShortDescription: sarifText{titleOf(pr)},
			DefaultConfiguration: sarifRuleConf{Level: sarifLevel(pr.Severity)},
			Properties:           &sarifProps{Tags: []string{"security", "network"}, Severity: pr.Severity.String()},
		}
		if pr.Reason != "" {
			r.FullDescription = &sarifText{pr.Reason}
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, r)
	}
	index[ExpiredRuleID] = len(run.Tool.Driver.Rules)
	run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
		ID: ExpiredRuleID, Name: "ExpiredException",
		ShortDescription:     sarifText{"A policy exception expired and no longer suppresses findings"},
		DefaultConfiguration: sarifRuleConf{Level: "warning"},
		Properties:           &sarifProps{Tags: []string{"policy"}, Severity: rules.SeverityWarning.String()},
	})
	for i := range fs {
		f := &fs[i]
		res := sarifResult{
			RuleID: f.Prohibition, RuleIndex: index[f.Prohibition], Level: sarifLevel(f.Severity),
			Message: sarifText{f.Message}, Locations: []sarifLocation{},
			Properties: map[string]string{"kind": string(f.Kind)},
		}
		if f.Severity == rules.SeverityInfo && f.Kind == KindBlocked {
			res.Kind = "pass" // the control held
			res.Level = "none"
		}
		if f.Fix != "" {
			res.Message.Text += ". Fix: " + f.Fix
			res.Properties["fix"] = f.Fix
		}
		if f.Location.File != "" {
			res.Locations = append(res.Locations, sarifLocation{PhysicalLocation: physical(f.Location)})
		}
		if f.IsTraffic() {
			loc := sarifLocation{LogicalLocations: []sarifLogical{{Name: flowText(f.Flow), Kind: "resource"}}}
			if f.ENI != "" {
				loc.LogicalLocations = append(loc.LogicalLocations, sarifLogical{Name: f.ENI, FullyQualifiedName: joinNonEmpty("/", f.Subnet, f.ENI), Kind: "resource"})
			}
			res.Locations = append(res.Locations, loc)
			for j, ev := range f.Evidence {
				file, line := splitEvidence(ev)
				rl := sarifLocation{ID: j + 1, PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri(file)}}, Message: &sarifText{"flow log record"}}
				if line > 0 {
					rl.PhysicalLocation.Region = &sarifRegion{StartLine: line}
				}
				res.RelatedLocations = append(res.RelatedLocations, rl)
			}
		}
		if s := f.Suppressed; s != nil {
			just := "exception " + s.Exception + " (owner " + s.Owner + "): " + s.Reason
			if s.Expires != "" {
				just += "; expires " + s.Expires
			}
			res.Suppressions = []sarifSuppress{{Kind: "external", Status: "accepted", Justification: just}}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}})
}

func physical(p Pos) *sarifPhysical {
	ph := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri(p.File)}}
	if p.Line > 0 {
		ph.Region = &sarifRegion{StartLine: p.Line, StartColumn: p.Col}
	}
	return ph
}

// sarifName turns an id into the PascalCase name SARIF viewers show.
func sarifName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// splitEvidence splits "file:line".
func splitEvidence(s string) (string, int) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n := 0
	for _, c := range s[i+1:] {
		if c < '0' || c > '9' {
			return s, 0
		}
		n = n*10 + int(c-'0')
	}
	return s[:i], n
}
