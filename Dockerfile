# Build a static gongsync binary, then ship it alone in a minimal image as a non-root user.
# .dockerignore keeps .git, bin/ and env files out of the build context.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The Makefile's build: the flags of `make release`. VERSION, COMMIT and BUILD_DATE
# default to what git (if .git is in the context) and the clock say.
ARG VERSION
ARG COMMIT
ARG BUILD_DATE
RUN make build BIN=/out/gongsync ${VERSION:+VERSION=$VERSION} ${COMMIT:+COMMIT=$COMMIT} ${BUILD_DATE:+BUILD_DATE=$BUILD_DATE}

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gongsync /usr/local/bin/gongsync
USER nonroot:nonroot
# 9090: /healthz, /readyz, /metrics, /status (GONGSYNC_HTTP_ADDR); 8090: webhooks
# when GONGSYNC_WEBHOOK_ADDR is set.
EXPOSE 9090 8090
# The image has no shell and no HTTP client: gongsync asks its own /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["/usr/local/bin/gongsync", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/gongsync"]
CMD ["run"]
