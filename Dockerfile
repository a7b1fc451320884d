# Build a static gongsync binary, then ship it alone in a minimal image as a non-root user.
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
EXPOSE 9090 8090
ENTRYPOINT ["/usr/local/bin/gongsync"]
CMD ["run"]
