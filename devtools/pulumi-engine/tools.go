//go:build tools

// Package tools names the CLI this module builds, so `go mod tidy` keeps its requirements.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
