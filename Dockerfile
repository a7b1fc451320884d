# Build a static gongsync binary, then ship it alone in a minimal image as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=docker
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/gongsync ./cmd/gongsync

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gongsync /usr/local/bin/gongsync
USER nonroot:nonroot
EXPOSE 9090 8090
ENTRYPOINT ["/usr/local/bin/gongsync"]
CMD ["run"]
