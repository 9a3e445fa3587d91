# paysaga: one image, one binary; the command picks the part (api, worker, sim).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/paysaga ./cmd/paysaga

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/paysaga /usr/local/bin/paysaga
USER nonroot
ENTRYPOINT ["/usr/local/bin/paysaga"]
CMD ["api"]
