# syntax=docker/dockerfile:1
#
# exhaust in a container: a static binary on a distroless base, run as a
# non-root user. Build from the repository root:
#
#   docker build -t exhaust --build-arg VERSION=$(git describe --always) .
#
# deploy/compose.yaml builds it as exhaust:local; docs/deploy.md has more.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is reused while go.mod and go.sum are unchanged.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# CGO off: a static binary needs no libc, so it runs on distroless/static.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/exhaust ./cmd/exhaust

# distroless/static: CA certificates, tzdata and /etc/passwd, no shell, no
# package manager. Its nonroot user is uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/exhaust /usr/local/bin/exhaust
USER nonroot:nonroot
# 9090: exhaust aggregate --http; 8080: exhaust produce --http (probes);
# 4222: the NATS server embedded by exhaust demo.
EXPOSE 9090 8080 4222
ENTRYPOINT ["/usr/local/bin/exhaust"]
CMD ["--help"]
