// Package test renders the exhaust Helm chart (deploy/helm/exhaust) with the
// Helm SDK and checks the result as Kubernetes objects, runs every
// container's command line through the exhaust binary built as the
// Dockerfile builds it, and loads deploy/compose.yaml with compose-go, the
// loader of docker compose. It is a module of its own so that Helm, the
// Kubernetes libraries and compose-go stay out of the main module's
// dependencies and out of its go test ./...; .ci/run runs it as a separate
// step:
//
//	cd deploy/helm/test && go test ./...
package test
