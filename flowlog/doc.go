// Package flowlog reads AWS VPC Flow Log records in every delivery format AWS
// writes (default version 2 text, custom formats of versions 3 to 8 and beyond,
// S3 text with its header line, gzip, CloudWatch Logs JSON, subscription
// payloads and Parquet) into Record values.
//
// A field that is absent from the log format, or holds AWS's "-" placeholder,
// is zero in the Record and reported false by Record.Has, so "not present" is
// never confused with a real zero. Transit Gateway records (version 6 fields,
// resource-type TransitGateway) are read into the same Record with Kind set to
// KindTransitGateway so that consumers can keep them apart from VPC records.
package flowlog
